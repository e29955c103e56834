// Teleplug from C++: the embedded server with a simulated Lovense toy.
//
// Creates a context and a client, connects to the embedded server (hardware transports off:
// simulated devices only), advertises a simulated Lovense toy, scans until it is found, lists
// its features, vibrates it at 50%, reads its battery, stops it and shuts down. Every byte the
// toy receives is printed ("toy received: ...").
//
// Build and run (from the repository root, after `cargo build`):
//   cmake -S bindings/cpp -B build-cpp && cmake --build build-cpp --target example_embedded
//   ./build-cpp/example_embedded
#include <cstdio>
#include <future>

#include "teleplug.hpp"

int main() {
    using namespace std::chrono_literals;
    try {
        std::printf("teleplug %s\n", teleplug::version().c_str());
        teleplug::Context ctx;
        teleplug::Client client(ctx, "C++ example");

        // Handlers run on the library's dispatcher thread.
        client.on_simulator_op([](const teleplug::SimulatorOp& op) {
            if (op.kind == teleplug::SimulatorOpKind::Write)
                std::printf("toy received: %s\n", op.text.c_str());
        });
        std::promise<teleplug::Device> found;
        client.on_device_added([&found](const teleplug::Device& device) {
            try {
                found.set_value(device);
            } catch (const std::future_error&) {  // a second device: not needed here
            }
        });

        teleplug::EmbeddedOptions options;
        options.server_name = "C++ example";
        options.disabled_transports = teleplug::transport::all_hardware;
        auto server = client.connect(options).get(10s);
        std::printf("connected to %s\n", server.server_name.c_str());

        client.simulator_advertise(teleplug::SimulatedLovense{"11:22:33:44:55:66", "", 87}).get(10s);
        client.start_scanning().get(10s);
        auto arrival = found.get_future();
        if (arrival.wait_for(10s) != std::future_status::ready) {
            std::fprintf(stderr, "no device found within 10 s\n");
            return 1;
        }
        teleplug::Device toy = arrival.get();
        client.stop_scanning().get(10s);
        std::printf("found device %u: %s\n", toy.index(), toy.name().c_str());
        for (const auto& feature : toy.features()) {
            std::printf("  feature %u%s%s:", feature.index(), feature.description().empty() ? "" : " ", feature.description().c_str());
            for (const auto& out : feature.outputs())
                std::printf(" %s [%d..%d]", teleplug::to_string(out.type).c_str(), out.value.min,
                            out.value.max);
            for (const auto& in : feature.inputs())
                std::printf(" %s", teleplug::to_string(in.type).c_str());
            std::printf("\n");
        }

        std::printf("vibrate at 50%%\n");
        auto motor = toy.find_feature(teleplug::OutputType::Vibrate);
        auto battery = toy.find_feature(teleplug::InputType::Battery);
        if (!motor || !battery) {
            std::fprintf(stderr, "the toy has no vibrator or no battery\n");
            return 1;
        }
        motor->vibrate(0.5).get(10s);
        std::printf("battery: %d%%\n", battery->read_battery().get(10s));
        std::printf("stop\n");
        toy.stop().get(10s);
        client.disconnect().get(10s);

        // Bounded shutdown: afterwards no handler runs.
        ctx.shutdown(5s).throw_if_error("shutdown");
        std::printf("done\n");
        return 0;
    } catch (const teleplug::RequestError& e) {
        std::fprintf(stderr, "request failed (%s): %s\n", e.code_name().c_str(), e.what());
    } catch (const teleplug::StatusError& e) {
        std::fprintf(stderr, "call failed (status %d): %s\n", e.status(), e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
    return 1;
}
