"""linkhub: a self-hosted smart-link platform in one Flask process and one SQLite file."""

__version__ = "0.1.0.dev0"
