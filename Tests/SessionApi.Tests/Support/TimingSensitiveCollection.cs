namespace SessionApi.Tests.Support;

/// <summary>
/// Tests that measure time against a deadline run on their own: beside other classes that start hosts with blocking
/// calls, the thread pool can stall a reply's continuation for longer than the deadline being tested.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "timing-sensitive";
}
