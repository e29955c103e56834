#if UNITY_5_3_OR_NEWER
using System;
using UnityEngine;
#if UNITY_EDITOR
using UnityEditor;
#endif

namespace Teleplug.Unity
{
    /// <summary>
    /// Shuts every Teleplug context down synchronously before Unity tears the scripting domain
    /// down (docs/FFI.md §4 B6): on Application.quitting, when play mode ends in the editor and before an
    /// assembly reload. A native thread holding a function pointer into an unloaded domain would
    /// crash the editor. Also routes handler exceptions to the Unity console.
    /// </summary>
    public static class TeleplugLifecycle
    {
        /// <summary>How long each context may take to stop its devices and threads.</summary>
        public static TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        static void InstallPlayer()
        {
            Application.quitting -= ShutdownAll;
            Application.quitting += ShutdownAll;
            TeleplugDiagnostics.HandlerException -= LogHandlerException;
            TeleplugDiagnostics.HandlerException += LogHandlerException;
        }

#if UNITY_EDITOR
        [InitializeOnLoadMethod]
        static void InstallEditor()
        {
            InstallPlayer();
            EditorApplication.playModeStateChanged -= OnPlayModeChanged;
            EditorApplication.playModeStateChanged += OnPlayModeChanged;
            AssemblyReloadEvents.beforeAssemblyReload -= ShutdownAll;
            AssemblyReloadEvents.beforeAssemblyReload += ShutdownAll;
        }

        static void OnPlayModeChanged(PlayModeStateChange change)
        {
            if (change == PlayModeStateChange.ExitingPlayMode) ShutdownAll();
        }
#endif

        /// <summary>Shuts down every live context now (also callable from your own code).</summary>
        public static void ShutdownAll()
        {
            TeleplugContext.ShutdownAll(ShutdownTimeout);
        }

        static void LogHandlerException(object sender, HandlerExceptionEventArgs e)
        {
            Debug.LogException(e.Exception);
        }
    }
}
#endif
