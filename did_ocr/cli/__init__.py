"""Command-line interface (click). Subcommands live in their own modules and load lazily."""
