namespace SupabaseEmulator.Database;

/// <summary>A confirmed email/password user created on start (documented in README.md).</summary>
public sealed record SeedUser(Guid Id, string Email, string Password, string Name);

/// <summary>Demo users with fixed ids, so manual runs and tests can sign in without signing up first.</summary>
public static class SeedUsers
{
    public const string Password = "password123";

    public static readonly SeedUser Alice = new(Guid.Parse("a11ce000-0000-4000-8000-000000000001"), "alice@emulator.test", Password, "Alice");

    public static readonly SeedUser Bob = new(Guid.Parse("b0b00000-0000-4000-8000-000000000002"), "bob@emulator.test", Password, "Bob");

    public static IReadOnlyList<SeedUser> All { get; } = [Alice, Bob];
}
