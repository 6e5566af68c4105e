"""writer-app: a private AI writing desk for novelists."""

__version__ = "0.1.0"
