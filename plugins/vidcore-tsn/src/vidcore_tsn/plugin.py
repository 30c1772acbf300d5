"""Registers vidcore-tsn's components and commands with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl

MODELS = {
    "Recognizer2D": "vidcore_tsn.recognizer:Recognizer2D",
    "ResNet": "vidcore_tsn.backbones.resnet:ResNet",
    "TSNHead": "vidcore_tsn.heads.tsn_head:TSNHead",
    "AvgConsensus": "vidcore_tsn.consensus:AvgConsensus",
    "CrossEntropyLoss": "vidcore_tsn.losses:CrossEntropyLoss",
    "BCELossWithLogits": "vidcore_tsn.losses:BCELossWithLogits",
}

WEIGHT_INITS = {
    name: f"vidcore_tsn.weight_init:{name}" for name in ("Normal", "Constant", "Kaiming", "Xavier", "Pretrained")
}


@hookimpl
def vidcore_register(registry):
    registry.register_many("models", MODELS)
    registry.register_many("weight_inits", WEIGHT_INITS)


@hookimpl
def vidcore_add_commands(subparsers):
    from .cli import add_infer_command
    from .interop.commands import add_interop_commands

    add_infer_command(subparsers)
    add_interop_commands(subparsers)
