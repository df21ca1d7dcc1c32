"""The organisers' workspace: setting up editions, modules and runs, copying an
edition, rescheduling and cancelling runs (and telling the learners)."""
