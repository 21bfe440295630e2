"""`python -m webapp stages`: a photo through convolution, ReLU and pooling, with shapes, parameters and memory."""
from __future__ import annotations

import argparse
from typing import Any

from webapp.cli.common import EXIT_OK, UsageError, add_max_bytes, emit
from webapp.formulas import format_shape


def padding_value(text: str) -> str | int:
    from webapp.stages import StageError, parse_padding

    try:
        return parse_padding(text)
    except StageError as error:
        raise argparse.ArgumentTypeError(str(error).rstrip(".")) from None


def kernel_choice(args: argparse.Namespace) -> Any:
    """--kernels: a .npy file, `random`, `model[:RUN]`, or a comma list of library names."""
    from webapp.stages import KernelChoice

    text = args.kernels.strip()
    source = ("file" if text.lower().endswith(".npy") else "random" if text == "random"
              else "model" if text.split(":")[0] == "model" else "library")
    if args.filters is not None and source not in ("random", "model"):
        raise UsageError("--filters applies to random and model kernels; a library list has one filter per name")
    if args.kernel_size is not None and source not in ("random", "library"):
        raise UsageError("--kernel-size applies to random and library kernels; a model or file fixes the size")
    names = tuple(name.strip() for name in text.split(",") if name.strip()) if source == "library" else ()
    run = text.split(":", 1)[1] if source == "model" and ":" in text else "cnn"
    return KernelChoice(source=source, names=names, size=args.kernel_size, count=args.filters, seed=args.seed,
                        run=run, path=text if source == "file" else None)


def add_parser(commands: argparse._SubParsersAction) -> None:
    from webapp.stages import DEFAULT_KERNELS, KERNELS, POOL_PADDINGS, POOL_TYPES

    parser = commands.add_parser(
        "stages", help="convolution, ReLU and pooling on a photo, with shapes, parameters and memory",
        description="Push a photo through conv, ReLU and pool with TensorFlow's semantics and print each stage's shape "
                    "(checked against the (W - F + 2P)/S + 1 formula), the parameter count and the memory.")
    parser.add_argument("image", metavar="IMAGE", help="a PNG, JPEG, WebP, BMP or GIF photo")
    parser.add_argument("--kernels", default=",".join(DEFAULT_KERNELS), metavar="NAME|FILE.npy",
                        help=f"comma list of {', '.join(KERNELS)}; or random (N(0,1), see --seed); or model[:RUN] "
                             "(a trained CNN's first-layer filters; default run cnn); "
                             "or a .npy of shape (F, F, C_in, K)")
    parser.add_argument("--filters", type=int, help="number of filters K for random (default 4) or model (default all)")
    parser.add_argument("--kernel-size", type=int,
                        help="F for random (default 3) and library kernels (default: natural size)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random filters")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--padding", type=padding_value, default="same", metavar="same|valid|P",
                        help="TensorFlow's SAME or VALID, or P rows and columns of zeros")
    parser.add_argument("--pool", choices=POOL_TYPES, default="max")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--pool-stride", type=int, default=2)
    parser.add_argument("--pool-padding", choices=POOL_PADDINGS, default="valid",
                        help="valid drops a last window that does not fit; same pads so that ceil(W / S) windows fit")
    parser.add_argument("--grayscale", action="store_true", help="convert the photo to one grey channel first")
    parser.add_argument("--keep-alpha", action="store_true",
                        help="keep a transparent photo's alpha as one more channel (RGBA: filters F x F x 4)")
    parser.add_argument("--batch-size", type=int, default=1, help="images per batch for the memory estimate")
    parser.add_argument("--save-npz", metavar="OUT.npz", help="write float32 arrays input, conv, relu, pool")
    parser.add_argument("--save-png", metavar="OUT.png", help="write the feature-map grid")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    from webapp.stages import StageConfig, StageError

    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    try:
        choice = kernel_choice(args)
        config = StageConfig(stride=args.stride, padding=args.padding, pool=args.pool, pool_size=args.pool_size,
                             pool_stride=args.pool_stride, pool_padding=args.pool_padding)
    except StageError as error:
        raise UsageError(str(error)) from None
    from webapp.store import RunStore, UnknownRunError

    store = RunStore()
    if choice.source == "model":
        try:
            store.resolve(choice.run)
        except UnknownRunError as error:
            raise UsageError(str(error)) from None
    from webapp.device import import_backend_quietly

    import_backend_quietly()
    import numpy as np

    from webapp.stages import process_photo, report

    processed = process_photo(args.image, choice, config, grayscale=args.grayscale, keep_alpha=args.keep_alpha,
                              max_bytes=args.max_bytes,
                              load_model=lambda name: store.load_model(store.resolve(name).run_id))
    if args.save_npz:
        np.savez_compressed(args.save_npz, allow_pickle=False, **processed.result.arrays())
    if args.save_png:
        from webapp.stages.stage_images import grid_png, stage_headings, stage_tiles

        with open(args.save_png, "wb") as out:
            out.write(grid_png(stage_tiles(processed), stage_headings(processed)))
    summary = {"image": args.image, **report(processed, args.batch_size)}
    if args.json:
        emit(summary)
    else:
        print(format_stages_report(summary))
    return EXIT_OK


def format_stages_report(summary: dict[str, Any]) -> str:
    lines = [f"{summary['image']}: kernels {', '.join(summary['kernels'])} "
             f"(weights {format_shape(summary['kernel_shape'])})"]
    for stage in summary["stages"]:
        shape = format_shape(stage["shape"])
        formula = (f"   rows: {stage['formula']['rows']}; columns: {stage['formula']['columns']}"
                   if "formula" in stage else "")
        lines.append(f"  {stage['stage']:6} {shape:>16}" + formula)
    lines.append(f"  parameters (F*F*D + 1)*K = {summary['params']:,}; multiplications {summary['multiplications']:,}")
    lines.append(f"  convolution output in float32: {summary['memory']} for a batch of {summary['batch']}")
    return "\n".join(lines + [f"  note: {note}" for note in summary["notes"]])

