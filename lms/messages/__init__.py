"""Messages to participants: organisers and trainers write to an audience of an edition,
a module or a run; a job materialises the recipients and queues one email each."""
