"""CNN stages on any photo: convolution, ReLU and pooling with TensorFlow's semantics, and the numbers behind them.

Pure functions, NumPy in and NumPy out; the page and `python -m webapp stages` call the same ones. One topic per
module, and this package re-exports their public names, so `from webapp import stages` and
`from webapp.stages import X` work without knowing which module holds X:

- `errors`: StageError, the one sentence a setting or input gets when the stages cannot use it;
- `kernels`: the kernel library, filter banks and where they come from (KernelChoice, build_bank);
- `planning`: every stage's shape, parameters and memory from the formulas, before anything is computed;
- `compute`: the stages themselves (conv2d, pool2d, run_stages), the memory budget, process_photo and report;
- `worked_examples`: the seeds' examples done window by window, multi-channel and as im2col;
- `stage_images`: the stages as pictures (imported on its own: `from webapp.stages.stage_images import ...`).

Reading a photo is `webapp.images`'s (`open_photo`, `photo_pixels`, `read_photo`, `sample_photos`), shared with
Augment; it is re-exported here for the Stages page and the CLI.
"""
from __future__ import annotations

from webapp.images import SAMPLE_TITLES, open_photo, photo_pixels, read_photo, sample_photos
from webapp.stages.compute import (CHUNK_VALUES, PAGE_MEMORY_BUDGET, Processed, StageResult, budget_size, conv2d,
                                   pool2d, pool_values, process_photo, report, run_stages, stage_memory_bytes)
from webapp.stages.errors import StageError
from webapp.stages.kernels import (DEFAULT_KERNELS, KERNEL_SOURCES, KERNELS, MAX_FILTERS, MAX_KERNEL_SIZE, MAX_WEIGHT,
                                   SOBEL_X, FilterBank, KernelChoice, LibraryKernel, bank_of, box_kernel, build_bank,
                                   file_bank, fixed_kernel, gaussian_kernel, library_bank, line_kernel, match_channels,
                                   model_bank, random_bank, x_kernel)
from webapp.stages.planning import (BYTES_PER_VALUE, LAYER_PRESETS, PADDING_MODES, PAGE_VALUE_LIMIT, POOL_PADDINGS,
                                    POOL_TYPES, STAGE_TITLES, STAGES, AxisPlan, ConvLayer, LayerPreset, StageConfig,
                                    StagePlan, activation_bytes, check_value_limit, conv_layer, conv_params,
                                    parse_padding, plan_axis, plan_stages)
from webapp.stages.worked_examples import (INNER_PRODUCT, SEED_IMAGE_5X5, SEED_KERNEL_3X3, Im2colExample,
                                           MultiChannelExample, Window, assemble, im2col, im2col_conv, im2col_example,
                                           multi_channel_example, windows_by_hand)

__all__ = [
    # errors
    "StageError",
    # photos (webapp.images)
    "SAMPLE_TITLES", "open_photo", "photo_pixels", "read_photo", "sample_photos",
    # kernels
    "DEFAULT_KERNELS", "KERNEL_SOURCES", "KERNELS", "MAX_FILTERS", "MAX_KERNEL_SIZE", "MAX_WEIGHT", "SOBEL_X",
    "FilterBank", "KernelChoice", "LibraryKernel", "bank_of", "box_kernel", "build_bank", "file_bank", "fixed_kernel",
    "gaussian_kernel", "library_bank", "line_kernel", "match_channels", "model_bank", "random_bank", "x_kernel",
    # planning
    "BYTES_PER_VALUE", "LAYER_PRESETS", "PADDING_MODES", "PAGE_VALUE_LIMIT", "POOL_PADDINGS", "POOL_TYPES",
    "STAGE_TITLES", "STAGES", "AxisPlan", "ConvLayer", "LayerPreset", "StageConfig", "StagePlan", "activation_bytes",
    "check_value_limit", "conv_layer", "conv_params", "parse_padding", "plan_axis", "plan_stages",
    # compute
    "CHUNK_VALUES", "PAGE_MEMORY_BUDGET", "Processed", "StageResult", "budget_size", "conv2d", "pool2d",
    "pool_values", "process_photo", "report", "run_stages", "stage_memory_bytes",
    # worked examples
    "INNER_PRODUCT", "SEED_IMAGE_5X5", "SEED_KERNEL_3X3", "Im2colExample", "MultiChannelExample", "Window",
    "assemble", "im2col", "im2col_conv", "im2col_example", "multi_channel_example", "windows_by_hand",
]
