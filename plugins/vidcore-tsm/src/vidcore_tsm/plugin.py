"""Registers vidcore-tsm's components with vidcore, lazily: nothing heavy is imported here."""

from vidcore import hookimpl

MODELS = {
    "ResNetTSM": "vidcore_tsm.resnet_tsm:ResNetTSM",
    "TSMHead": "vidcore_tsm.tsm_head:TSMHead",
}

OPTIM_CONSTRUCTORS = {
    "TSMOptimWrapperConstructor": "vidcore_tsm.optim_constructor:TSMOptimWrapperConstructor",
}


@hookimpl
def vidcore_register(registry):
    registry.register_many("models", MODELS)
    registry.register_many("optim_constructors", OPTIM_CONSTRUCTORS)


@hookimpl
def vidcore_configure(cfg):
    from .config_checks import check_tsm_config

    check_tsm_config(cfg)
