"""Optimizers that let the pretrained layers of a fine-tuned network learn slower than its new layers (seed
004's third recipe: "a lower learning rate for the pretrained part").

Keras has no per-layer learning rate, so each of the lab's optimizers gets a subclass that scales the rate for
the variables it is told are pretrained (by their paths). They are registered with Keras, so a saved run that
trained with one loads again (`webapp.store` imports this module before loading a model).
"""
from __future__ import annotations

from typing import Any

import keras

BASES: dict[str, type[keras.optimizers.Optimizer]] = {
    "adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}


def _two_rate(base: type[keras.optimizers.Optimizer]) -> type[keras.optimizers.Optimizer]:
    """`base` with a second, slower rate for the variables named in `slow_paths`."""

    class TwoRate(base):  # type: ignore[valid-type, misc]  # a class made from a variable base
        def __init__(self, slow_paths: tuple[str, ...] | list[str] = (), slow_factor: float = 0.1,
                     **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.slow_paths = frozenset(slow_paths)
            self.slow_factor = slow_factor

        def build(self, variables: list[Any]) -> None:
            """Note the slow variables by the key the backend will hand `update_step` (TensorFlow passes the raw
            variable there, without its Keras path)."""
            super().build(variables)
            self._slow_keys = {self._var_key(variable) for variable in variables if variable.path in self.slow_paths}

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            if self._var_key(variable) in self._slow_keys:
                learning_rate = learning_rate * self.slow_factor
            super().update_step(gradient, variable, learning_rate)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "slow_paths": sorted(self.slow_paths), "slow_factor": self.slow_factor}

    name = f"TwoRate{base.__name__}"
    TwoRate.__name__ = TwoRate.__qualname__ = name
    return keras.saving.register_keras_serializable(package="ConvNetLab", name=name)(TwoRate)


TWO_RATE = {name: _two_rate(base) for name, base in BASES.items()}


def two_rate(name: str, learning_rate: Any, slow_paths: frozenset[str], slow_factor: float) -> Any:
    """Optimizer `name` whose variables in `slow_paths` learn at `slow_factor` times `learning_rate`."""
    return TWO_RATE[name](slow_paths=tuple(sorted(slow_paths)), slow_factor=slow_factor, learning_rate=learning_rate)
