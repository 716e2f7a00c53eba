"""trunkline: a data-flow engine for contact-center data."""

__version__ = "0.1.0"
