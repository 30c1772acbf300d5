"""vidcore plugin: WandbVisBackend, logging runs to Weights & Biases (online or offline)."""

__version__ = "0.1.0"
