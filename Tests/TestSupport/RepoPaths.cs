using System.Reflection;

namespace TestSupport;

/// <summary>Locates the repository and the build output of our services.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, whichever the tests were built with.</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>Path of a project's built entry assembly, e.g. Dll("Proxy") or Dll("SupabaseEmulator").</summary>
    public static string Dll(string projectDir)
    {
        var name = Path.GetFileName(projectDir);
        var path = Path.Combine(Root, projectDir, "bin", Configuration, "net10.0", name + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: build the solution (dotnet build Aspire.sln) before running the tests.");
        }
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aspire.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Aspire.sln not found above " + AppContext.BaseDirectory);
    }
}
