"""vidcore plugin: TSN — Recognizer2D, torchvision ResNet backbones, TSNHead, AvgConsensus and TSN configs."""

__version__ = "0.1.0"
