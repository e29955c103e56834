// Where user event handlers run (docs/FFI.md §4 B4). Native callbacks only copy and enqueue; handlers
// run later through one of these, in the order the library produced the events.
using System;
using System.Collections.Concurrent;
using System.Threading;

namespace Teleplug
{
    /// <summary>
    /// Runs event handlers. <see cref="Capture"/> (the default of every client) posts to the
    /// <see cref="SynchronizationContext"/> current at client creation (Unity's main thread, a UI
    /// thread), or, without one, to a serialized queue on the thread pool.
    /// <see cref="ManualEventDelivery"/> runs them when you call
    /// <see cref="ManualEventDelivery.DispatchPending"/> (the Unity <c>TeleplugDispatcher</c> does so
    /// in <c>Update()</c>). Handlers of one delivery never run concurrently and keep their order.
    /// </summary>
    public abstract class EventDelivery
    {
        internal EventDelivery() { }

        /// <summary>Queues one handler invocation (FIFO).</summary>
        internal abstract void Post(Action action);

        /// <summary>The current SynchronizationContext, or a thread-pool queue when there is none.</summary>
        public static EventDelivery Capture()
        {
            var sc = SynchronizationContext.Current;
            return sc != null ? FromSynchronizationContext(sc) : CreateThreadPool();
        }

        /// <summary>Handlers run through <paramref name="context"/>.Post, in order.</summary>
        public static EventDelivery FromSynchronizationContext(SynchronizationContext context)
        {
            if (context == null) throw new ArgumentNullException("context");
            return new SyncContextDelivery(context);
        }

        /// <summary>Handlers run one at a time on thread-pool threads, in order.</summary>
        public static EventDelivery CreateThreadPool()
        {
            return new ThreadPoolDelivery();
        }

        /// <summary>Queues an event of <paramref name="sender"/>: its handlers as they are when it
        /// runs (<paramref name="which"/>), none once the sender is disposed.</summary>
        internal void Raise<T>(IClientOwner sender, Func<EventHandler<T>> which, T args) where T : EventArgs
        {
            Post(() =>
            {
                if (sender.IsDisposed) return;
                var h = which();
                if (h != null) h(sender, args);
            });
        }

        internal void Raise(IClientOwner sender, Func<EventHandler> which, EventArgs args)
        {
            Raise(sender, () => { var h = which(); return h == null ? null : new EventHandler<EventArgs>(h); }, args);
        }

        /// <summary>Runs one handler invocation, reporting its exception instead of throwing.</summary>
        internal static void Run(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                TeleplugDiagnostics.ReportHandlerException(e);
            }
        }
    }

    sealed class SyncContextDelivery : EventDelivery
    {
        // One drain at a time through Post keeps order even on contexts whose Post is not FIFO.
        readonly SerialQueue queue;

        internal SyncContextDelivery(SynchronizationContext context)
        {
            queue = new SerialQueue(drain => context.Post(_ => drain(), null));
        }

        internal override void Post(Action action) { queue.Enqueue(action); }
    }

    sealed class ThreadPoolDelivery : EventDelivery
    {
        readonly SerialQueue queue = new SerialQueue(drain => ThreadPool.QueueUserWorkItem(_ => drain()));
        internal override void Post(Action action) { queue.Enqueue(action); }
    }

    /// <summary>Handlers run only inside <see cref="DispatchPending"/>, on the calling thread.
    /// Share one instance between clients (and the log) to drain them all from one place.</summary>
    public sealed class ManualEventDelivery : EventDelivery
    {
        readonly ConcurrentQueue<Action> pending = new ConcurrentQueue<Action>();
        readonly object drainGate = new object();

        internal override void Post(Action action) { pending.Enqueue(action); }

        /// <summary>The number of handler invocations waiting.</summary>
        public int Pending { get { return pending.Count; } }

        /// <summary>Runs the waiting handler invocations (at most <paramref name="max"/>) on this
        /// thread; returns how many ran. Exceptions of handlers go to
        /// <see cref="TeleplugDiagnostics.HandlerException"/>. Re-entrant calls from a handler return 0.</summary>
        public int DispatchPending(int max = int.MaxValue)
        {
            if (!Monitor.TryEnter(drainGate)) return 0;
            try
            {
                int n = 0;
                Action a;
                while (n < max && pending.TryDequeue(out a))
                {
                    n++;
                    Run(a);
                }
                return n;
            }
            finally
            {
                Monitor.Exit(drainGate);
            }
        }
    }

    /// <summary>A FIFO of actions drained by one scheduled drain at a time.</summary>
    sealed class SerialQueue
    {
        readonly ConcurrentQueue<Action> items = new ConcurrentQueue<Action>();
        readonly Action<Action> schedule;
        int scheduled;

        internal SerialQueue(Action<Action> schedule) { this.schedule = schedule; }

        internal void Enqueue(Action action)
        {
            items.Enqueue(action);
            if (Interlocked.CompareExchange(ref scheduled, 1, 0) == 0) schedule(Drain);
        }

        void Drain()
        {
            while (true)
            {
                Action a;
                while (items.TryDequeue(out a)) EventDelivery.Run(a);
                Volatile.Write(ref scheduled, 0);
                // An item enqueued after the last TryDequeue but before the reset would be stranded.
                if (items.IsEmpty || Interlocked.CompareExchange(ref scheduled, 1, 0) != 0) return;
            }
        }
    }

    /// <summary>Exceptions thrown by user event handlers and log callbacks.</summary>
    public sealed class HandlerExceptionEventArgs : EventArgs
    {
        internal HandlerExceptionEventArgs(Exception e) { Exception = e; }
        public Exception Exception { get; private set; }
    }

    /// <summary>Where exceptions of event handlers go: handlers never unwind into the library or
    /// stop the delivery of later events.</summary>
    public static class TeleplugDiagnostics
    {
        /// <summary>Raised (on the thread of the failed handler) with each exception a handler
        /// threw. Without a subscriber the exception is written to Console.Error (the Unity
        /// integration routes it to Debug.LogException).</summary>
        public static event EventHandler<HandlerExceptionEventArgs> HandlerException;

        internal static void ReportHandlerException(Exception e)
        {
            try
            {
                var h = HandlerException;
                if (h != null)
                {
                    h(null, new HandlerExceptionEventArgs(e));
                    return;
                }
                Console.Error.WriteLine("Teleplug: an event handler threw: " + e);
            }
            catch
            {
                // Reporting must not fail the delivery.
            }
        }
    }
}
