#if UNITY_5_3_OR_NEWER
using UnityEngine;

namespace Teleplug.Unity
{
    /// <summary>
    /// Runs Teleplug event handlers on Unity's main thread, in <c>Update()</c>. Create clients with
    /// <see cref="MainThreadOptions"/> (or pass <see cref="Delivery"/> as
    /// <see cref="ClientOptions.Delivery"/>). Without "Run In Background" a player that loses focus
    /// stops calling Update: events then wait in the queue (requests still complete).
    /// </summary>
    [DisallowMultipleComponent]
    [AddComponentMenu("Teleplug/Teleplug Dispatcher")]
    public sealed class TeleplugDispatcher : MonoBehaviour
    {
        /// <summary>The queue this component drains; share it between clients and the log.</summary>
        public static readonly ManualEventDelivery Delivery = new ManualEventDelivery();

        static TeleplugDispatcher instance;

        [Tooltip("Most handler invocations per frame (the rest wait for the next frame).")]
        public int maxPerFrame = 1000;

        /// <summary>The dispatcher of the scene, created (and kept across scene loads) if needed.</summary>
        public static TeleplugDispatcher EnsureExists()
        {
            if (instance != null) return instance;
            var go = new GameObject("Teleplug Dispatcher");
            DontDestroyOnLoad(go);
            return go.AddComponent<TeleplugDispatcher>();
        }

        /// <summary>Client options whose events run on the main thread through this component.</summary>
        public static ClientOptions MainThreadOptions(TeleplugContext context = null)
        {
            EnsureExists();
            return new ClientOptions { Context = context, Delivery = Delivery };
        }

        void Awake()
        {
            if (instance != null && instance != this)
            {
                Destroy(this);
                return;
            }
            instance = this;
        }

        void Update()
        {
            Delivery.DispatchPending(maxPerFrame);
        }

        void OnDestroy()
        {
            if (instance == this) instance = null;
        }
    }
}
#endif
