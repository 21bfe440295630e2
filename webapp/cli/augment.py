"""`python -m webapp augment`: samples of a photo through a saved Albumentations pipeline."""
from __future__ import annotations

import argparse

from webapp.cli.common import EXIT_OK, UsageError, add_max_bytes, emit
from webapp.formulas import format_shape


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "augment", help="augmented samples of a photo through a saved Albumentations pipeline",
        description="Run a photo through a pipeline saved by the Augment page (or by Albumentations' A.save) N "
                    "times and print what each sample got. The same file and seed always give the same images.")
    parser.add_argument("image", metavar="IMAGE", help="a PNG, JPEG, WebP, BMP or GIF photo")
    parser.add_argument("--pipeline", required=True, metavar="FILE.yaml|FILE.json",
                        help="the pipeline in Albumentations' saved form (YAML or JSON; read with the safe loaders)")
    parser.add_argument("-n", "--count", type=int, default=16, help="samples to make (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pipeline's random draws")
    parser.add_argument("--out", metavar="GRID.png", help="write the samples side by side as a PNG")
    parser.add_argument("--save-npz", metavar="OUT.npz", help="write `images`, an (n, H, W, C) uint8 array")
    add_max_bytes(parser)
    parser.add_argument("--json", action="store_true", help="one JSON line on stdout")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    from webapp.augment_preview import MAX_SAMPLES

    if not 1 <= args.count <= MAX_SAMPLES:
        raise UsageError(f"-n must be from 1 to {MAX_SAMPLES}")
    import numpy as np

    from webapp.augment import describe_pipeline, read_pipeline_file, sized_for
    from webapp.augment_preview import augment_samples, grid_png, read_photo, stacked

    data = read_pipeline_file(args.pipeline)
    photo = read_photo(args.image, max_side=None, max_bytes=args.max_bytes)
    data = sized_for(data, photo.shape)  # a target size (RandomResizedCrop's) follows the image
    samples = augment_samples(data, [photo] * args.count, args.seed)
    images = [sample.image for sample in samples]
    if args.save_npz:
        np.savez_compressed(args.save_npz, images=stacked(images))
    if args.out:
        with open(args.out, "wb") as out:
            out.write(grid_png(images))
    summary = {"image": args.image, "pipeline": args.pipeline, "transforms": describe_pipeline(data),
               "count": args.count, "seed": args.seed, "input_shape": list(photo.shape),
               "applied": [list(sample.applied) for sample in samples],
               "grid": args.out, "npz": args.save_npz}
    if args.json:
        emit(summary)
    else:
        print(f"{args.count} samples of {args.image} ({format_shape(photo.shape)}) through "
              f"{summary['transforms']}, seed {args.seed}:")
        print("\n".join(f"  {index:3}: {'; '.join(sample.applied) or 'unchanged'}"
                        for index, sample in enumerate(samples)))
    return EXIT_OK

