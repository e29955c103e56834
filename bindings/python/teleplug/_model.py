"""What the asyncio and the synchronous device objects share: descriptions and lookups.

Devices and features are addressed by ``(client, device index, feature index)`` inside
messages (docs/FFI.md A4): these objects hold no native resource, only the description the server
gave and the client to send through.
"""

from __future__ import annotations

from typing import Any, Generic, List, Optional, Tuple, TypeVar, Union

from ._ffi import ErrorCode, InputType, OutputType
from .errors import InvalidArgumentError
from .types import DeviceInfo, FeatureInfo, InputDescription, OutputDescription, input_enum

C = TypeVar("C")
F = TypeVar("F", bound="FeatureBase[Any]")


class FeatureBase(Generic[C]):
    """A feature of a device: some outputs (vibrate, rotate, ...) and/or inputs (battery, ...)."""

    __slots__ = ("_client", "_device_index", "info")

    def __init__(self, client: C, device_index: int, info: FeatureInfo) -> None:
        self._client = client
        self._device_index = device_index
        self.info = info

    @property
    def index(self) -> int:
        """The feature's index within its device."""
        return self.info.index

    @property
    def device_index(self) -> int:
        """The index of the device this feature belongs to."""
        return self._device_index

    @property
    def description(self) -> str:
        return self.info.description

    @property
    def outputs(self) -> Tuple[OutputDescription, ...]:
        return self.info.outputs

    @property
    def inputs(self) -> Tuple[InputDescription, ...]:
        return self.info.inputs

    def output(self, output_type: Union[OutputType, int]) -> Optional[OutputDescription]:
        """The description of this feature's output of that type, or None."""
        return next((o for o in self.info.outputs if o.type == output_type), None)

    def input(self, input_type: Union[InputType, int]) -> Optional[InputDescription]:
        """The description of this feature's input of that type, or None."""
        return next((i for i in self.info.inputs if i.type == input_type), None)

    def has_output(self, output_type: Union[OutputType, int]) -> bool:
        return self.output(output_type) is not None

    def has_input(self, input_type: Union[InputType, int]) -> bool:
        return self.input(input_type) is not None

    def _only_input(self, input_type: Optional[Union[InputType, int, str]]) -> Union[InputType, int]:
        if input_type is not None:
            return input_enum(input_type)
        if len(self.info.inputs) == 1:
            return self.info.inputs[0].type
        raise InvalidArgumentError(
            ErrorCode.INVALID_ARGUMENT,
            f"feature {self.index} has {len(self.info.inputs)} inputs: name the input type",
        )

    def __repr__(self) -> str:
        kinds = [getattr(o.type, "name", str(o.type)).lower() for o in self.info.outputs]
        kinds += [getattr(i.type, "name", str(i.type)).lower() for i in self.info.inputs]
        desc = f" {self.info.description!r}" if self.info.description else ""
        return f"<Feature {self._device_index}.{self.index}{desc} {'/'.join(kinds)}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FeatureBase)
            and other._client is self._client
            and other._device_index == self._device_index
            and other.info == self.info
        )

    def __hash__(self) -> int:
        return hash((id(self._client), self._device_index, self.info))


class DeviceBase(Generic[C, F]):
    """A device the server connected: its name, features and message gap."""

    _feature_class: type = FeatureBase

    def __init__(self, client: C, info: DeviceInfo) -> None:
        self._client = client
        self.info = info
        self._features: Tuple[F, ...] = tuple(
            self._feature_class(client, info.index, f) for f in info.features
        )

    @property
    def index(self) -> int:
        """The device's index (stable while it stays connected)."""
        return self.info.index

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def display_name(self) -> str:
        """The user's name for the device ("" when none is set)."""
        return self.info.display_name

    @property
    def message_gap_ms(self) -> int:
        """Minimum time between two commands the device accepts."""
        return self.info.message_gap_ms

    @property
    def features(self) -> Tuple[F, ...]:
        return self._features

    def feature(self, index: int) -> F:
        """The feature with that index (KeyError if there is none)."""
        for f in self._features:
            if f.index == index:
                return f
        raise KeyError(f"device {self.index} has no feature {index}")

    def features_with(
        self,
        output: Optional[Union[OutputType, int]] = None,
        input: Optional[Union[InputType, int]] = None,  # noqa: A002 - mirrors the schema
    ) -> List[F]:
        """The features offering that output type and/or input type."""
        return [
            f
            for f in self._features
            if (output is None or f.has_output(output)) and (input is None or f.has_input(input))
        ]

    def _with_output(self, output_type: Union[OutputType, int]) -> List[F]:
        found = self.features_with(output=output_type)
        if not found:
            from .errors import DeviceError

            name = getattr(output_type, "name", str(output_type))
            raise DeviceError(ErrorCode.DEVICE, f"{self.name} has no {name} output")
        return found

    def _first_with_input(self, input_type: Union[InputType, int]) -> F:
        found = self.features_with(input=input_type)
        if not found:
            from .errors import DeviceError

            name = getattr(input_type, "name", str(input_type))
            raise DeviceError(ErrorCode.DEVICE, f"{self.name} has no {name} input")
        return found[0]

    def __repr__(self) -> str:
        return f"<Device {self.index} {self.name!r} features={len(self._features)}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeviceBase) and other._client is self._client and other.info == self.info

    def __hash__(self) -> int:
        return hash((id(self._client), self.info))
