using Gateway.Bench;
using Gateway.Bench.Roles;

// One executable, three roles: the benchmark driver (default), and the two servers it starts as separate processes
// (chosen by the Bench:Role setting, passed as an environment variable by TestSupport.ServiceProcess).
switch (Environment.GetEnvironmentVariable("Bench__Role"))
{
    case "upstream":
        await UpstreamApp.RunAsync(args);
        return 0;
    case "bare-yarp":
        await BareYarpApp.RunAsync(args);
        return 0;
}

return BenchOptions.Parse(args) is { } options ? await BenchRun.RunAsync(options) : 2;
