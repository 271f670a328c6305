"""Command-line entry points. The only layer that parses arguments or composes configs."""
