"""Recovery from the UI: the CLI's recovery actions as Launchpad jobs, and links that open them filled in."""
