"""Registers vidcore-video3d's components with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl

MODELS = {
    "Recognizer3D": "vidcore_video3d.recognizer3d:Recognizer3D",
    "I3DHead": "vidcore_video3d.heads:I3DHead",
    "SlowFastHead": "vidcore_video3d.heads:SlowFastHead",
    "ResNet3d": "vidcore_video3d.resnet3d:ResNet3d",
    "ResNet3dSlowOnly": "vidcore_video3d.slowfast:ResNet3dSlowOnly",
    "ResNet3dSlowFast": "vidcore_video3d.slowfast:ResNet3dSlowFast",
    "TorchvisionVideo": "vidcore_video3d.torchvision_video:TorchvisionVideo",
}

WEIGHT_INITS = {"TorchvisionClassifier": "vidcore_video3d.torchvision_video:TorchvisionClassifier"}


@hookimpl
def vidcore_register(registry):
    registry.register_many("models", MODELS)
    registry.register_many("weight_inits", WEIGHT_INITS)


@hookimpl
def vidcore_configure(cfg):
    from .config_checks import check_video3d_config

    check_video3d_config(cfg)
