// Teleplug from C++: connect to a running Buttplug server (`teleplug serve`, Intiface...).
//
//   teleplug serve --simulator-port 12347        # in another terminal (plus a device)
//   ./build-cpp/example_remote ws://127.0.0.1:12345
//
// Connects, scans until a device appears (at most 10 s), lists its features, vibrates the
// first vibrator at 50% for a moment, reads the battery if the device has one, stops the device
// and disconnects.
#include <cstdio>
#include <future>
#include <string>

#include "teleplug.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:12345";
    try {
        teleplug::Context ctx;
        teleplug::Client client(ctx, "C++ remote example");
        std::promise<teleplug::Device> found;
        client.on_device_added([&found](const teleplug::Device& device) {
            try {
                found.set_value(device);
            } catch (const std::future_error&) {
            }
        });
        client.on_server_disconnected(
            [](const std::string& reason) { std::printf("server disconnected: %s\n", reason.c_str()); });

        auto server = client.connect(url).get(10s);
        std::printf("connected to %s at %s (protocol %u.%u)\n", server.server_name.c_str(),
                    url.c_str(), server.protocol_version_major, server.protocol_version_minor);

        // Devices the server already had come with the connect reply.
        auto arrival = found.get_future();
        teleplug::Device toy = [&] {
            auto known = client.devices();
            if (!known.empty()) return known.front();
            client.start_scanning().get(10s);
            if (arrival.wait_for(10s) != std::future_status::ready)
                throw std::runtime_error("no device found within 10 s");
            return arrival.get();
        }();
        client.stop_scanning().get(10s);
        std::printf("found device %u: %s\n", toy.index(), toy.name().c_str());
        for (const auto& feature : toy.features()) {
            std::printf("  feature %u%s%s:", feature.index(), feature.description().empty() ? "" : " ", feature.description().c_str());
            for (const auto& out : feature.outputs())
                std::printf(" %s", teleplug::to_string(out.type).c_str());
            for (const auto& in : feature.inputs()) std::printf(" %s", teleplug::to_string(in.type).c_str());
            std::printf("\n");
        }

        if (auto motor = toy.find_feature(teleplug::OutputType::Vibrate)) {
            std::printf("vibrate at 50%%\n");
            motor->vibrate(0.5).get(10s);
        }
        if (auto battery = toy.find_feature(teleplug::InputType::Battery))
            std::printf("battery: %d%%\n", battery->read_battery().get(10s));
        std::printf("stop\n");
        toy.stop().get(10s);
        client.disconnect().get(10s);
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
