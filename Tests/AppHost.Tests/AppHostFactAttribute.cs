namespace AppHost.Tests;

/// <summary>
/// A [Fact] that needs what the AppHost needs at run time: a container runtime and the Supabase CLI on PATH.
/// Without them the test is reported as skipped, naming what is missing, instead of failing after a long wait.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AppHostFactAttribute : FactAttribute
{
    public AppHostFactAttribute()
    {
        var missing = new List<string>();
        if (!IsOnPath("docker") && !IsOnPath("podman"))
        {
            missing.Add("a container runtime (docker or podman)");
        }
        if (!IsOnPath("supabase"))
        {
            missing.Add("the Supabase CLI (supabase)");
        }
        if (missing.Count > 0)
        {
            Skip = $"The AppHost test needs {string.Join(" and ", missing)} on PATH.";
        }
    }

    private static bool IsOnPath(string command)
    {
        string[] extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)
            : [""];
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => extensions.Any(extension => File.Exists(Path.Combine(directory, command + extension))));
    }
}
