"""Training CLIs for GAN Studio: ``python -m training.digits ...``; they export into ``weights/``."""
