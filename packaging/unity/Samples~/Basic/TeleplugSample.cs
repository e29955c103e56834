using System;
using System.Linq;
using System.Threading.Tasks;
using Teleplug;
using Teleplug.Unity;
using UnityEngine;

/// <summary>
/// Add to any GameObject and press Play: connects to the embedded server with the hardware
/// transports off, advertises a simulated Lovense toy, scans, vibrates the toy at half strength
/// for half a second and stops it. Events run on the main thread through the dispatcher.
/// </summary>
public sealed class TeleplugSample : MonoBehaviour
{
    Client client;

    async void Start()
    {
        try
        {
            client = new Client("Teleplug sample", TeleplugDispatcher.MainThreadOptions());
            var found = new TaskCompletionSource<Device>();
            client.DeviceAdded += (s, e) => found.TrySetResult(e.Device);   // main thread
            await client.ConnectAsync(new EmbeddedOptions { DisabledTransports = Transports.All });
            await client.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66", battery: 87);
            await client.StartScanningAsync();
            var device = await found.Task;
            await client.StopScanningAsync();
            Debug.Log("Teleplug: found " + device.Name);
            await device.FeaturesWithOutput(OutputType.Vibrate).First().VibrateAsync(0.5);
            await Task.Delay(500);
            await device.StopAsync();
        }
        catch (Exception e)
        {
            Debug.LogException(e);
        }
    }

    void OnDestroy()
    {
        if (client != null) client.Dispose();
    }
}
