using System.Text;
using TestSupport;

namespace EndToEnd.Tests.Hardening;

/// <summary>What each hostile request may use: a live session of a real user, its placeholder token, the public origin.</summary>
public sealed record BatteryInput(string Cookie, string Placeholder, string Origin);

public enum BatteryTarget
{
    Proxy,

    /// <summary>Straight at SampleWeb, skipping the Proxy (a hop inside the network).</summary>
    SampleWeb,
}

/// <summary>
/// One hostile or malformed request and the exact status it must get. <paramref name="Fault"/> breaks the emulator's
/// answer for that path first; <paramref name="UpstreamMustNotSee"/> is a value that must not reach Supabase.
/// </summary>
public sealed record HostileCase(
    string Id,
    int Status,
    Func<BatteryInput, RawRequest> Build,
    BatteryTarget Target = BatteryTarget.Proxy,
    (string Path, string Mode)? Fault = null,
    Func<BatteryInput, string>? UpstreamMustNotSee = null)
{
    public override string ToString() => Id;
}

/// <summary>The battery's rows. Keep ids unique: the test looks rows up by id.</summary>
public static class HostileInputs
{
    private const string Cookie = "sb-session";
    private static readonly string Forged = new string('A', 43) + "." + new string('B', 43);

    private static (string, string) H(string name, string value) => (name, value);

    private static RawRequest Get(string path, params (string, string)[] headers) => new("GET", path, headers);

    private static RawRequest Send(string method, string path, string? body, params (string, string)[] headers) =>
        new(method, path, [.. headers, H("Content-Type", "application/json")], body is null ? null : Encoding.UTF8.GetBytes(body));

    private static RawRequest SendBytes(string method, string path, byte[] body, bool chunked, params (string, string)[] headers) =>
        new(method, path, [.. headers, H("Content-Type", "application/json")], body, chunked);

    private static (string, string) SessionCookie(string value) => H("Cookie", $"{Cookie}={value}");

    private static (string, string) Bearer(string token) => H("Authorization", "Bearer " + token);

    private static RawRequest Upgrade(params (string, string)[] headers) => Get(
        $"/supabase/realtime/v1/websocket?apikey={LocalSupabaseKeys.AnonKey}&vsn=2.0.0",
        [H("Connection", "Upgrade"), H("Upgrade", "websocket"), H("Sec-WebSocket-Version", "13"), H("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), .. headers]);

    private const string Password = """{"email":"battery@example.com","password":"correct-horse"}""";

    public static readonly IReadOnlyList<HostileCase> All =
    [
        // Statuses that come from upstream are GoTrue/PostgREST answers to the anon key (GoTrue: 403 "missing sub claim").
        // Kestrel refuses non-ASCII header bytes with 400 before the app runs.
        // ---- Cookies: forged, truncated, oversized, duplicated, wrongly encoded ----
        new("cookie-forged-well-formed", 401, _ => Get("/edge/v1/session", SessionCookie(Forged))),
        new("cookie-truncated", 401, i => Get("/edge/v1/session", SessionCookie(i.Cookie[..^6]))),
        new("cookie-id-only", 401, i => Get("/edge/v1/session", SessionCookie(i.Cookie.Split('.')[0]))),
        new("cookie-real-id-forged-secret", 401, i => Get("/edge/v1/session", SessionCookie(i.Cookie.Split('.')[0] + "." + new string('Z', 43)))),
        new("cookie-129-chars", 401, _ => Get("/edge/v1/session", SessionCookie(new string('a', 129)))),
        new("cookie-4000-chars", 401, _ => Get("/edge/v1/session", SessionCookie(new string('a', 4000)))),
        new("cookie-percent-encoded", 401, i => Get("/edge/v1/session", SessionCookie(i.Cookie.Replace(".", "%2E", StringComparison.Ordinal)))),
        new("cookie-quoted", 401, i => Get("/edge/v1/session", SessionCookie('"' + i.Cookie + '"'))),
        new("cookie-name-uppercase", 401, i => Get("/edge/v1/session", H("Cookie", "SB-SESSION=" + i.Cookie))),
        new("cookie-host-prefix-on-http", 401, i => Get("/edge/v1/session", H("Cookie", "__Host-sb-session=" + i.Cookie))),
        new("cookie-duplicated-same-value", 400, i => Get("/edge/v1/session", H("Cookie", $"{Cookie}={i.Cookie}; {Cookie}={i.Cookie}"))),
        new("cookie-duplicated-planted-first", 400, i => Get("/edge/v1/session", H("Cookie", $"{Cookie}={Forged}; {Cookie}={i.Cookie}"))),
        new("cookie-duplicated-two-headers", 400, i => Get("/edge/v1/session", H("Cookie", $"{Cookie}={i.Cookie}"), H("Cookie", $"{Cookie}={Forged}"))),
        new("cookie-comma-smuggled", 401, i => Get("/edge/v1/session", H("Cookie", $"{Cookie}={i.Cookie},{Cookie}={Forged}"))),
        new("cookie-base64-standard-chars", 401, _ => Get("/edge/v1/session", SessionCookie("ab+/cd==.ef+/gh=="))),
        new("cookie-empty-value", 401, _ => Get("/edge/v1/session", SessionCookie(""))),
        new("cookie-latin1-bytes", 400, _ => Get("/edge/v1/session", SessionCookie("caf\u00e9.\u00ff\u00fe"))),
        new("cookie-oversized-header", 431, _ => Get("/edge/v1/session", H("Cookie", "junk=" + new string('j', 20 * 1024)))),
        new("cookie-forged-on-rest", 401, _ => Get("/supabase/rest/v1/notes?select=*", SessionCookie(Forged))),
        new("cookie-forged-on-page", 200, _ => Get("/", SessionCookie(Forged))),
        new("cookie-forged-refresh-grant", 400, i => Send("POST", "/supabase/auth/v1/token?grant_type=refresh_token", """{"refresh_token":"x"}""", SessionCookie(Forged), H("Origin", i.Origin))),
        new("cookie-forged-revoke-all", 401, i => Send("DELETE", "/edge/v1/sessions?scope=all", null, SessionCookie(Forged), H("Origin", i.Origin))),

        // ---- Forged tokens in Authorization: never forwarded, the request goes on as anonymous ----
        new("bearer-alg-none", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.AlgNone())), UpstreamMustNotSee: _ => "eyJhbGciOiJub25l"),
        new("bearer-alg-none-mixed-case", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.AlgNoneMixedCase())), UpstreamMustNotSee: _ => "\"nOnE\""),
        new("bearer-hs256-real-secret-service-role", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.RealSecretServiceRole())), UpstreamMustNotSee: _ => "service_role"),
        new("bearer-hs256-wrong-secret", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.Hs256("not-the-project-secret-0123456789abcdef"))), UpstreamMustNotSee: _ => "service_role"),
        new("bearer-es256-foreign-key", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.Es256Foreign("test-identity-1"))), UpstreamMustNotSee: _ => "service_role"),
        new("bearer-hs-es-confusion", 200, _ => Get("/supabase/rest/v1/posts?select=*", Bearer(HostileTokens.HsWithPublicKeyAsSecret("test-identity-1"))), UpstreamMustNotSee: _ => "service_role"),
        new("bearer-placeholder-without-cookie", 200, i => Get("/supabase/rest/v1/posts?select=*", Bearer(i.Placeholder)), UpstreamMustNotSee: i => i.Placeholder),
        new("bearer-browser-sent-with-cookie", 200, i => Get("/supabase/rest/v1/notes?select=*", SessionCookie(i.Cookie), Bearer(HostileTokens.AlgNone())), UpstreamMustNotSee: _ => "eyJhbGciOiJub25l"),
        new("bearer-basic-scheme", 200, _ => Get("/supabase/rest/v1/posts?select=*", H("Authorization", "Basic YWRtaW46YWRtaW4=")), UpstreamMustNotSee: _ => "Basic"),
        new("bearer-alg-none-on-auth-user", 403, _ => Get("/supabase/auth/v1/user", Bearer(HostileTokens.AlgNone())), UpstreamMustNotSee: _ => "eyJhbGciOiJub25l"),
        new("bearer-alg-none-on-rest-write", 403, _ => Send("POST", "/supabase/rest/v1/notes", """{"body":"as service_role?"}""", Bearer(HostileTokens.AlgNone())), UpstreamMustNotSee: _ => "eyJhbGciOiJub25l"),
        new("bearer-real-secret-on-logout", 204, i => Send("POST", "/supabase/auth/v1/logout", null, Bearer(HostileTokens.RealSecretServiceRole())), UpstreamMustNotSee: _ => "service_role"),

        // ---- Identity headers: stripped by the Proxy, not believed by SampleWeb ----
        new("identity-unsigned-direct", 302, _ => Get("/notes", H("X-Gateway-Identity", HostileTokens.AlgNone())), BatteryTarget.SampleWeb),
        new("identity-hs256-jwt-secret-direct", 302, _ => Get("/notes", H("X-Gateway-Identity", HostileTokens.Hs256(LocalSupabaseKeys.JwtSecret))), BatteryTarget.SampleWeb),
        new("identity-es256-foreign-direct", 302, _ => Get("/notes", H("X-Gateway-Identity", HostileTokens.Es256Foreign("test-identity-1"))), BatteryTarget.SampleWeb),
        new("identity-key-confusion-direct", 302, _ => Get("/notes", H("X-Gateway-Identity", HostileTokens.HsWithPublicKeyAsSecret("test-identity-1"))), BatteryTarget.SampleWeb),
        new("identity-garbage-direct", 302, _ => Get("/notes", H("X-Gateway-Identity", "not a token")), BatteryTarget.SampleWeb),
        new("identity-placeholder-direct", 302, i => Get("/notes", H("X-Gateway-Identity", i.Placeholder)), BatteryTarget.SampleWeb),
        new("identity-unsigned-via-proxy", 302, _ => Get("/notes", H("X-Gateway-Identity", HostileTokens.AlgNone()))),
        new("identity-session-live-via-proxy", 302, _ => Get("/notes", H("X-Gateway-Session", "live"), H("X-Gateway-User", "mallory"))),

        // ---- Cross-origin unsafe requests carrying the cookie ----
        new("csrf-rest-insert-foreign-origin", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Origin", "https://evil.example"))),
        new("csrf-revoke-all-foreign-origin", 403, i => Send("DELETE", "/edge/v1/sessions?scope=all", null, SessionCookie(i.Cookie), H("Origin", "https://evil.example"))),
        new("csrf-form-sign-out-foreign-origin", 403, i => new RawRequest("POST", "/edge/v1/forms/sign-out", [SessionCookie(i.Cookie), H("Origin", "https://evil.example"), H("Content-Type", "application/x-www-form-urlencoded")], "scope=all"u8.ToArray())),
        new("csrf-logout-foreign-origin", 403, i => Send("POST", "/supabase/auth/v1/logout?scope=global", null, SessionCookie(i.Cookie), H("Origin", "https://evil.example"))),
        new("csrf-origin-null", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Origin", "null"))),
        new("csrf-fetch-site-cross-site", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Sec-Fetch-Site", "cross-site"))),
        new("csrf-no-origin-no-fetch-metadata", 403, i => Send("PATCH", "/supabase/rest/v1/notes?id=eq.1", """{"body":"csrf"}""", SessionCookie(i.Cookie))),
        new("csrf-login-foreign-origin", 403, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password, H("Origin", "https://evil.example"))),
        new("csrf-origin-other-port", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Origin", "http://127.0.0.1:1"))),
        new("csrf-origin-https-variant", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Origin", i.Origin.Replace("http://", "https://", StringComparison.Ordinal)))),
        new("csrf-origin-suffix-lookalike", 403, i => Send("POST", "/supabase/rest/v1/notes", """{"body":"csrf"}""", SessionCookie(i.Cookie), H("Origin", i.Origin + ".evil.example"))),

        // ---- Websocket upgrades from foreign origins ----
        new("ws-foreign-origin", 403, _ => Upgrade(H("Origin", "https://evil.example"))),
        new("ws-origin-null", 403, _ => Upgrade(H("Origin", "null"))),
        new("ws-no-origin", 403, _ => Upgrade()),
        new("ws-foreign-origin-with-cookie", 403, i => Upgrade(H("Origin", "https://evil.example"), SessionCookie(i.Cookie))),

        // ---- Malformed JSON from the client on intercepted endpoints ----
        new("json-truncated", 400, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", """{"email":"a@example.com","password":"""), UpstreamMustNotSee: _ => "a@example.com"),
        new("json-not-json", 400, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", "email=a@example.com&password=x")),
        new("json-array", 400, _ => Send("POST", "/supabase/auth/v1/signup", "[\"a@example.com\"]")),
        new("json-empty-body", 400, _ => Send("POST", "/supabase/auth/v1/verify", "")),
        new("json-too-deep", 400, _ => Send("POST", "/supabase/auth/v1/signup", "{\"email\":\"d@example.com\",\"data\":" + string.Concat(Enumerable.Repeat("{\"a\":", 64)) + "1" + new string('}', 64) + "}")),
        new("json-invalid-utf8", 400, _ => SendBytes("POST", "/supabase/auth/v1/token?grant_type=password", [.. "{\"email\":\""u8, 0xFF, 0xFE, .. "\",\"password\":\"x\"}"u8], chunked: false)),
        new("json-trailing-garbage", 400, _ => Send("POST", "/supabase/auth/v1/token?grant_type=pkce", """{"auth_code":"x","code_verifier":"y"} trailing""")),

        // ---- Malformed answers from upstream ----
        new("upstream-truncated-json-sign-in", 502, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password), Fault: ("/auth/v1/token", "truncated_json")),
        new("upstream-html-sign-in", 502, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password), Fault: ("/auth/v1/token", "html")),
        new("upstream-empty-sign-in", 502, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password), Fault: ("/auth/v1/token", "empty")),
        new("upstream-tokens-without-session", 502, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password), Fault: ("/auth/v1/token", "tokens_without_session")),
        new("upstream-500-with-trace-sign-in", 502, _ => Send("POST", "/supabase/auth/v1/token?grant_type=password", Password), Fault: ("/auth/v1/token", "html_error_with_trace")),
        new("upstream-truncated-json-signup", 502, _ => Send("POST", "/supabase/auth/v1/signup", Password), Fault: ("/auth/v1/signup", "truncated_json")),
        new("upstream-tokens-on-forwarded-auth-route", 502, _ => Get("/supabase/auth/v1/user"), Fault: ("/auth/v1/user", "tokens_without_session")),
        new("upstream-html-on-rest-passes-as-is", 200, _ => Get("/supabase/rest/v1/posts?select=*"), Fault: ("/rest/v1/posts", "html")),

        // ---- Path traversal in the /supabase prefix ----
        new("path-dot-dot-to-edge", 401, _ => Get("/supabase/../edge/v1/session")),
        new("path-encoded-dot-dot-to-edge", 401, _ => Get("/supabase/%2e%2e/edge/v1/session")),
        new("path-dot-dot-within-supabase", 403, _ => Get("/supabase/rest/v1/%2e%2e/%2e%2e/auth/v1/user")),
        new("path-encoded-slash", 400, _ => Get("/supabase/rest/v1/notes%2F..%2F..%2Fauth%2Fv1%2Fadmin%2Fusers")),
        new("path-empty-segment", 400, _ => Get("/supabase//auth/v1/admin/users")),
        new("path-double-encoded-dot-dot", 404, _ => Get("/supabase/rest/v1/%252e%252e/auth/v1/admin/users")),
        new("path-backslash-dot-dot", 400, _ => Get("/supabase/rest/v1/..\\..\\auth/v1/admin/users")),
        new("path-escape-prefix-to-page", 404, _ => Get("/supabase/../../../etc/passwd")),

        // ---- Huge bodies and headers ----
        new("huge-sign-in-body", 413, _ => SendBytes("POST", "/supabase/auth/v1/token?grant_type=password", Encoding.UTF8.GetBytes("{\"email\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"), chunked: false)),
        new("huge-sign-in-body-chunked", 413, _ => SendBytes("POST", "/supabase/auth/v1/signup", Encoding.UTF8.GetBytes("{\"email\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"), chunked: true)),
        new("huge-otp-body", 413, _ => SendBytes("POST", "/supabase/auth/v1/otp", Encoding.UTF8.GetBytes("{\"email\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"), chunked: false)),
        new("huge-headers-total", 431, _ => Get("/", [.. Enumerable.Range(0, 6).Select(n => H($"X-Pad-{n}", new string('p', 7 * 1024)))])),
        new("huge-single-header", 431, _ => Get("/", H("X-Pad", new string('p', 80 * 1024)))),
        new("huge-many-headers", 431, _ => Get("/", [.. Enumerable.Range(0, 250).Select(n => H($"X-Many-{n}", "1"))])),
    ];

    /// <summary>
    /// Open redirects through redirect_to / return_url: refused by the redirect allow-list before anything goes upstream.
    /// </summary>
    public static readonly IReadOnlyList<HostileCase> OpenRedirects =
    [
        new("redirect-otp-foreign", 400, _ => Send("POST", "/supabase/auth/v1/otp?redirect_to=https%3A%2F%2Fevil.example%2F", """{"email":"r@example.com"}""")),
        new("redirect-recover-protocol-relative", 400, _ => Send("POST", "/supabase/auth/v1/recover?redirect_to=%2F%2Fevil.example", """{"email":"r@example.com"}""")),
        new("redirect-authorize-foreign", 400, _ => Get("/supabase/auth/v1/authorize?provider=github&redirect_to=https%3A%2F%2Fevil.example")),
        new("redirect-signup-userinfo-trick", 400, i => Send("POST", "/supabase/auth/v1/signup?redirect_to=" + Uri.EscapeDataString(i.Origin + "@evil.example/"), Password)),
    ];
}
