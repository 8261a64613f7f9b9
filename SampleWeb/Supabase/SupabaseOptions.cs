namespace SampleWeb.Supabase;

/// <summary>Where SampleWeb reads and writes rows: directly at Supabase (not through the Proxy), with the project's anon key.</summary>
public sealed class SupabaseOptions
{
    public const string Section = "Supabase";

    /// <summary>The Supabase API URL (e.g. http://127.0.0.1:54321 locally, https://&lt;ref&gt;.supabase.co hosted).</summary>
    public string Url { get; set; } = "";

    /// <summary>The project's anon (or publishable) key, sent as <c>apikey</c>.</summary>
    public string AnonKey { get; set; } = "";
}
