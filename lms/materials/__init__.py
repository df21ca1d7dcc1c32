"""Materials of a module: files and links trainers publish per language, with versions."""
