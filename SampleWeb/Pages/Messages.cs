namespace SampleWeb.Pages;

/// <summary>What the user reads for each error or notice code the gateway's form endpoints (and our pages) send back.</summary>
public static class Messages
{
    /// <summary>Sent by protected pages to sign-in when the Proxy said the browser's session is no longer live.</summary>
    public const string SessionEndedNotice = "session-ended";

    // The gateway knows only that the session is gone, not why, so the message names the likely reasons.
    public const string SessionEnded =
        "You were signed out on this device. It was signed out from another device, your account changed, or the session expired. Sign in again to continue.";

    public static string? Error(string? code) => code switch
    {
        null or "" => null,
        "invalid_credentials" => "Wrong email or password.",
        "email_not_confirmed" => "Please confirm your email address first: check your inbox.",
        "user_already_exists" or "email_exists" => "An account with this email already exists. Sign in instead.",
        "weak_password" => "That password is too weak: use at least 6 characters.",
        "validation_failed" or "email_address_invalid" => "Please fill in every field with a valid value.",
        "over_request_rate_limit" or "over_email_send_rate_limit" => "Too many attempts. Please wait a moment and try again.",
        "session_expired" => "Your session has ended. Please sign in again.",
        "session_store_unavailable" => "The session service is unavailable right now. Please try again shortly.",
        "upstream_unavailable" => "Supabase is unreachable right now. Please try again shortly.",
        "session_not_found" => "That session no longer exists: it may already have been signed out.",
        "signup_disabled" => "New accounts cannot be created right now.",
        _ => "Something went wrong. Please try again.",
    };

    public static string? Notice(string? code) => code switch
    {
        "confirm-email" => "Check your inbox to confirm your email, then sign in.",
        "signed-out" => "You are signed out.",
        "signed-out-others" => "Every other session was signed out.",
        "revoked" => "The session was revoked. That device is signed out.",
        SessionEndedNotice => SessionEnded,
        _ => null,
    };
}
