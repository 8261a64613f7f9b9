namespace AppHost.LocalInfrastructure;

internal static class LocalInfrastructureExtensions
{
    /// <summary>
    /// Chooses the run-mode infrastructure from LocalInfrastructure:Mode: "containers", "emulator", or "auto" (the
    /// default: containers when a container engine answers, else the emulator). Checks the machine for what that mode
    /// needs and shows the choice in the dashboard as the resource "local-infrastructure".
    /// </summary>
    public static LocalInfrastructureMode ChooseLocalInfrastructure(this IDistributedApplicationBuilder builder, LocalInfrastructureSettings settings)
    {
        var (mode, why) = settings.Mode.ToLowerInvariant() switch
        {
            "containers" => (LocalInfrastructureMode.Containers, $"{LocalInfrastructureSettings.Section}:Mode=containers"),
            "emulator" => (LocalInfrastructureMode.Emulator, $"{LocalInfrastructureSettings.Section}:Mode=emulator"),
            "auto" => Automatic(ContainerRuntimeProbe.Probe(builder.Configuration)),
            _ => throw new LocalSetupException(
                $"{LocalInfrastructureSettings.Section}:Mode must be 'auto', 'containers' or 'emulator', not '{settings.Mode}'."),
        };
        var summary = mode == LocalInfrastructureMode.Containers
            ? "Redis container + Supabase CLI stack"
            : "redis-server process + Supabase emulator";
        Console.WriteLine($"Local infrastructure: {mode} mode ({summary}; {why}).");
        LocalPrerequisites.Check(mode, settings);

        builder.AddResource(new LocalInfrastructureResource("local-infrastructure"))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Mode",
                State = new ResourceStateSnapshot($"{mode} mode", KnownResourceStateStyles.Info),
                Properties =
                [
                    new("mode", mode.ToString()),
                    new("runs", summary),
                    new("why", why),
                    new("setting", $"{LocalInfrastructureSettings.Section}:Mode (auto | containers | emulator)"),
                ],
            })
            .ExcludeFromManifest();
        return mode;
    }

    private static (LocalInfrastructureMode, string) Automatic(ContainerRuntimeAnswer answer) => answer.Runtime is not null
        ? (LocalInfrastructureMode.Containers, $"auto: {answer.Reason}")
        : (LocalInfrastructureMode.Emulator, $"auto: no container runtime answered ({answer.Reason})");
}

/// <summary>A row in the dashboard that says which local infrastructure runs (it starts nothing).</summary>
internal sealed class LocalInfrastructureResource(string name) : Resource(name);
