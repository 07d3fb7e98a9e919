"""The inbox: what is there, what needs a run, and where dead-lettered files are set aside."""
