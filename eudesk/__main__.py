"""`python -m eudesk` is the `eudesk` command."""

from eudesk.bot.cli import main

main()
