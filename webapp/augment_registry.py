"""The curated Albumentations transforms the Augment page offers: data, not code per widget.

Each entry names an Albumentations 2.x class, its group (geometric or pixel-level) and, for each parameter a
learner may set, the control that edits it: its kind, slider bounds, default, step and a help line. A file may
set a parameter in any form Albumentations itself accepts (a scalar where it takes one, whole numbers or
fractions); the lab adds only safety limits (`limits`: kernel sizes and counts capped, sizes bounded), so a slider's
bounds are what the editor offers, not what a file may say. A parameter that also takes pixels (CoarseDropout's
hole sizes) names that form in `pixels`, with its own slider and limits. Every transform here works on 28x28
grey digits (H, W) and on colour photos (H, W, 3), and keeps the image's size (a transform with a target size
gets the image's own size).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GEOMETRIC, PIXEL = "geometric", "pixel"
GROUP_TITLES = {GEOMETRIC: "Geometric", PIXEL: "Pixel-level"}
# Kinds of control: a number, a (low, high) range (a range slider), or one of a few options.
FLOAT, INT, FLOAT_RANGE, INT_RANGE, CHOICE = "float", "int", "float_range", "int_range", "choice"


@dataclass(frozen=True)
class Control:
    """One parameter of a transform, under Albumentations' own name, with the bounds the lab allows.

    `low`/`high` bound the widget; `limits` (low, high; None: no bound) bound what a file may set, beyond
    Albumentations' own checks. `pixels` is the same parameter given in pixels (Albumentations reads an upper
    value of 1 or more as pixels), and `axis` the image axis (0: height, 1: width) such a size must fit.
    `numbers` lets a choice also be any number in that range. `shown=False` keeps a parameter checked without
    giving it a widget.
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    default: Any = None
    step: float | None = None
    help: str = ""
    options: tuple = ()
    odd: bool = False
    shown: bool = True
    limits: tuple[float | None, float | None] = (None, None)
    pixels: Control | None = None
    axis: int | None = None
    numbers: tuple[float, float] | None = None

    @property
    def is_range(self) -> bool:
        return self.kind in (FLOAT_RANGE, INT_RANGE)

    @property
    def is_integer(self) -> bool:
        return self.kind in (INT, INT_RANGE)

    def form_of(self, value: Any) -> Control:
        """The control that describes `value`: the pixel form when the parameter takes one and the value's
        upper end is 1 or more (Albumentations' own rule), else this one."""
        if self.pixels is None or isinstance(value, bool):
            return self
        numbers = value if isinstance(value, (list, tuple)) else [value]
        in_pixels = any(isinstance(n, (int, float)) and not isinstance(n, bool) and n >= 1 for n in numbers[-1:])
        return self.pixels if in_pixels else self


@dataclass(frozen=True)
class TransformSpec:
    """One transform the lab offers. `size_params` name a target size that follows the image's size: one name
    holds [height, width] (RandomResizedCrop's `size`), two hold the height and the width (Resize's). `offered`:
    listed in the editor's Add menu (Resize is only read from files and written by exports)."""

    name: str
    group: str
    what: str
    controls: tuple[Control, ...] = ()
    default_p: float = 0.5
    size_params: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()  # parameters kept at Albumentations' default (they would change the image's size)
    changes_digits: bool = False  # a flip turns some digits into others (6 and 9) or into no digit at all
    offered: bool = True

    def sized(self, image_shape: tuple[int, ...]) -> dict[str, Any]:
        """The target-size arguments for an image of `image_shape` (none for a transform without one)."""
        height, width = (int(side) for side in image_shape[:2])
        if len(self.size_params) == 1:
            return {self.size_params[0]: [height, width]}
        return dict(zip(self.size_params, (height, width)))

    def control(self, name: str) -> Control | None:
        return next((control for control in self.controls if control.name == name), None)


def _range(name: str, low: float, high: float, default: tuple, step: float, help: str, integer: bool = False,
           **more: Any) -> Control:
    """A (low, high) parameter: Albumentations draws a value from it for each image."""
    if integer:
        return Control(name, INT_RANGE, low, high, default, step, help, **more)
    return Control(name, FLOAT_RANGE, float(low), float(high), tuple(map(float, default)), float(step), help, **more)


BLUR_LIMIT_HELP = "Kernel size in pixels, drawn from this range for each image (odd sizes only)."
SIZE_LIMIT = 4096  # the largest target size (per side) a file may ask for
KERNEL_LIMIT = 31  # the largest kernel a file may ask for: it already blurs a 28x28 digit away, and costs grow with it
KERNELS = (None, KERNEL_LIMIT)
SIGMA_LIMITS = (None, 50)  # a Gaussian's kernel grows with its sigma

def _hole_size(name: str, side: str, axis: int) -> Control:
    """CoarseDropout's hole height or width: a fraction of the image's side, or (whole numbers) pixels."""
    pixels = _range(name, 1, 64, (2, 6), 1, f"Hole {side} in pixels; at most the image's {side}.", integer=True,
                    limits=(0, SIZE_LIMIT), axis=axis)
    return _range(name, 0.02, 0.5, (0.1, 0.25), 0.01, f"Hole {side} as a fraction of the image {side}.",
                  limits=(0, 1), pixels=pixels)


TRANSFORMS: tuple[TransformSpec, ...] = (
    # -- geometric: where the pixels go -----------------------------------------------------------------
    TransformSpec("HorizontalFlip", GEOMETRIC, "Mirror left-right. Fine for most photos; a mirrored 3 or 7 is "
                  "no digit at all.", changes_digits=True),
    TransformSpec("VerticalFlip", GEOMETRIC, "Turn upside down: a 6 becomes a 9, and a cat stands on its head.",
                  changes_digits=True),
    TransformSpec("Rotate", GEOMETRIC, "Rotate by an angle drawn from the range; corners fill with black.", (
        _range("limit", -180, 180, (-30, 30), 1, "Angle in degrees, drawn for each image. Past about 45 degrees "
               "a 7 starts to look like a 1 and a 6 like a 9."),), fixed=("crop_border",)),
    TransformSpec("Affine", GEOMETRIC, "Rotate, shift, zoom and shear in one step: small changes in where and "
                  "how large a digit is written.", (
        _range("rotate", -180, 180, (-15, 15), 1, "Rotation angle in degrees."),
        _range("translate_percent", -0.5, 0.5, (-0.1, 0.1), 0.01, "Shift as a fraction of the width and height "
               "(0.1 moves a 28-pixel digit by up to about 3 pixels)."),
        _range("scale", 0.5, 2.0, (0.9, 1.1), 0.05, "Zoom factor: below 1 shrinks, above 1 enlarges."),
        _range("shear", -45, 45, (0, 0), 1, "Shear angle in degrees: slants the image like italic writing."),
    ), default_p=0.7, fixed=("translate_px", "fit_output")),
    TransformSpec("Perspective", GEOMETRIC, "Look at the picture from a slight angle: corners move in or out.", (
        _range("scale", 0.0, 0.3, (0.05, 0.1), 0.01, "How far the corners move, as a fraction of the size."),),
        fixed=("keep_size", "fit_output")),
    TransformSpec("ElasticTransform", GEOMETRIC, "Wobble the image like rubber: the classic distortion for "
                  "handwriting, as if another hand wrote the digit.", (
        Control("alpha", FLOAT, 0, 200, 34.0, 1.0, "Strength of the displacement (in pixels, before smoothing)."),
        Control("sigma", FLOAT, 1, 50, 4.0, 0.5, "Smoothness: small values ripple finely, large values bend "
                "gently. 4 suits 28x28 digits.", limits=(None, 100)),
    ), default_p=0.3),
    TransformSpec("GridDistortion", GEOMETRIC, "Stretch and squeeze the cells of a grid laid over the image.", (
        # more cells than pixels fail
        Control("num_steps", INT, 1, 15, 5, 1, "Grid cells along each side.", limits=(None, 20)),
        _range("distort_limit", -1.0, 1.0, (-0.3, 0.3), 0.05, "How much each cell grows or shrinks."),
    ), default_p=0.3),
    TransformSpec("OpticalDistortion", GEOMETRIC, "Barrel or pincushion distortion, as through a cheap lens.", (
        _range("distort_limit", -1.0, 1.0, (-0.3, 0.3), 0.05, "Negative: pincushion; positive: barrel."),)),
    TransformSpec("RandomResizedCrop", GEOMETRIC, "Crop a random part and resize it back to the image's size "
                  "(a zoom into a random corner).", (
        _range("scale", 0.05, 1.0, (0.7, 1.0), 0.05, "Area of the crop as a fraction of the image."),
        _range("ratio", 0.5, 2.0, (0.75, 1.33), 0.05, "Width / height of the crop.",
               limits=(0.01, None)),  # a ratio of 0 fails when the crop runs
    ), size_params=("size",)),
    TransformSpec("Resize", GEOMETRIC, "Resize to a fixed size. The lab keeps each image's own size, so here it "
                  "changes nothing; an exported file starts with one when a transform sets the size, so every image "
                  "comes out at the size the file was exported for.", size_params=("height", "width"), default_p=1.0,
                  offered=False),
    # -- pixel-level: what the pixels look like ------------------------------------------------------------
    TransformSpec("Blur", PIXEL, "Average each pixel with its neighbours (a box blur).", (
        _range("blur_limit", 3, 15, (3, 5), 2, BLUR_LIMIT_HELP, integer=True, odd=True, limits=KERNELS),)),
    TransformSpec("MotionBlur", PIXEL, "Smear along a line, as when the camera moves.", (
        _range("blur_limit", 3, 15, (3, 7), 2, BLUR_LIMIT_HELP, integer=True, odd=True, limits=KERNELS),)),
    TransformSpec("GaussianBlur", PIXEL, "Smooth with a Gaussian bell: nearer pixels count more.", (
        _range("sigma_limit", 0.1, 5.0, (0.5, 1.5), 0.1, "Width of the bell in pixels.", limits=SIGMA_LIMITS),
        _range("blur_limit", 0, 31, (0, 0), 2, "Kernel size; 0 picks it from sigma.", integer=True,
               shown=False, limits=KERNELS),
    )),
    TransformSpec("MedianBlur", PIXEL, "Replace each pixel by the median of its neighbours: removes specks, "
                  "keeps edges.", (
        _range("blur_limit", 3, 15, (3, 5), 2, BLUR_LIMIT_HELP, integer=True, odd=True, limits=KERNELS),)),
    TransformSpec("GaussNoise", PIXEL, "Add random noise to every pixel, like a high-ISO photo.", (
        _range("std_range", 0.0, 1.0, (0.1, 0.3), 0.01, "Noise standard deviation as a fraction of the "
               "brightest value (0.1 is about 25 grey levels)."),
        _range("mean_range", -1.0, 1.0, (0.0, 0.0), 0.01, "Noise mean.", shown=False),
    )),
    TransformSpec("RandomBrightnessContrast", PIXEL, "Make the picture brighter or darker, flatter or punchier.", (
        _range("brightness_limit", -1.0, 1.0, (-0.2, 0.2), 0.05, "Added brightness, as a fraction of white."),
        _range("contrast_limit", -1.0, 1.0, (-0.2, 0.2), 0.05, "Contrast change: -0.2 flattens by 20%."),
    )),
    TransformSpec("RandomGamma", PIXEL, "Bend the brightness curve: shadows lighter or darker, highlights kept.", (
        _range("gamma_limit", 20, 300, (80, 120), 5, "Gamma in percent: 100 changes nothing, below 100 "
               "lightens, above darkens."),)),
    TransformSpec("Sharpen", PIXEL, "Exaggerate edges.", (
        _range("alpha", 0.0, 1.0, (0.2, 0.5), 0.05, "Blend of the sharpened image over the original."),
        _range("lightness", 0.0, 2.0, (0.5, 1.0), 0.05, "Brightness of the sharpened image."),
        Control("kernel_size", INT, 3, 15, 5, 2, "Kernel size of the Gaussian method.", odd=True, shown=False,
                limits=KERNELS),
        Control("sigma", FLOAT, 0.1, 10.0, 1.0, 0.1, "Sigma of the Gaussian method.", shown=False,
                limits=SIGMA_LIMITS),
    )),
    TransformSpec("Emboss", PIXEL, "Relief effect: edges stand out like a coin.", (
        _range("alpha", 0.0, 1.0, (0.2, 0.5), 0.05, "Blend of the embossed image over the original."),
        _range("strength", 0.0, 2.0, (0.2, 0.7), 0.05, "Depth of the relief."),
    )),
    TransformSpec("CoarseDropout", PIXEL, "Cut rectangular holes: the model must read a digit with a piece "
                  "missing.", (
        _range("num_holes_range", 1, 20, (1, 2), 1, "Number of holes per image.", integer=True, limits=(None, 100)),
        _hole_size("hole_height_range", "height", 0),
        _hole_size("hole_width_range", "width", 1),
        Control("fill", CHOICE, default=0, help="What fills the holes: black (0), white (255), another grey "
                "level (a number from a file) or random noise.", options=(0, 255, "random", "random_uniform"),
                numbers=(0, 255)),
    ), default_p=0.3),
    TransformSpec("Downscale", PIXEL, "Shrink and enlarge again: the picture loses detail, like a low-resolution "
                  "scan.", (
        _range("scale_range", 0.1, 0.99, (0.5, 0.75), 0.01, "Size of the shrunken image, as a fraction.",
               limits=(0.04, None)),)),  # below 1/28, a 28x28 digit would shrink to no pixel at all
    TransformSpec("InvertImg", PIXEL, "Negative: white ink on black becomes black ink on white."),
    TransformSpec("Posterize", PIXEL, "Keep fewer bits per channel: smooth shading turns into bands.", (
        _range("num_bits", 1, 8, (3, 6), 1, "Bits kept per channel (8 keeps everything).", integer=True),)),
    TransformSpec("ImageCompression", PIXEL, "Save as a low-quality JPEG or WebP and read it back: blocky "
                  "artefacts.", (
        _range("quality_range", 1, 100, (30, 70), 1, "Quality: 100 is nearly lossless, 10 very blocky.",
               integer=True),
        Control("compression_type", CHOICE, default="jpeg", help="Which codec's artefacts.",
                options=("jpeg", "webp")),
    )),
)

REGISTRY: dict[str, TransformSpec] = {spec.name: spec for spec in TRANSFORMS}
