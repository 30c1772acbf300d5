"""Pipeline transforms: each is a callable `results: dict -> dict`.

Modules: `sampling` (which frames), `decoding_decord` / `decoding_pyav` / `decoding_rawframes` (read them),
`resize`, `crops`, `flip`, `color`, `erasing`, `torchvision_wrappers`, `normalize` (spatial, on uint8 clips),
`formatting` (shape and packing), `compose` (a pipeline built from configs). Frames travel as one uint8 array
`imgs` of shape (N, H, W, 3) ((N, H, W, 2) x/y for optical flow).
"""
