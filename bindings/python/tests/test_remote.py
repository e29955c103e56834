"""Remote mode: the client connects over WebSocket to a `teleplug serve` process, whose
simulated toy is driven over the simulator control endpoint."""

from __future__ import annotations

import pytest

import teleplug

from conftest import WAIT, SimulatedLovense


async def test_remote_client_drives_a_toy_of_teleplug_serve(serve, delivery):
    toy = SimulatedLovense(serve.simulator_url, battery=33)
    try:
        async with teleplug.Client("py remote", delivery=delivery) as client:
            info = await client.connect(serve.url)
            assert info.server_name == "serve under test" and info.protocol_version_major == 4
            with pytest.raises(teleplug.UnsupportedError):
                await client.simulator.advertise_lovense("not here")  # simulators are embedded-only
            await client.start_scanning()
            device = await client.wait_for_device(timeout=WAIT)
            assert device.name == "Lovense Hush"
            await device.features[0].vibrate(0.75)
            toy.wait_write("Vibrate:15;")
            assert await device.read_battery() == 33
            await client.disconnect()  # the server stops every device when its client leaves
            toy.wait_write("Vibrate:0;")
            assert not client.connected
    finally:
        toy.close()
