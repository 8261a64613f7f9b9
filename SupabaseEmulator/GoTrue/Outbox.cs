using System.Collections.Concurrent;

namespace SupabaseEmulator.GoTrue;

/// <summary>A mail GoTrue would have sent (Mailpit's job in the CLI stack): the OTP, its token hash and the link.</summary>
public sealed record OutboxMessage(long Seq, DateTimeOffset At, string Type, string Email, string Otp, string TokenHash, string Link, string RedirectTo);

/// <summary>Test inspection: confirmation, magic-link and recovery mails (GET /__emulator/outbox?email=...).</summary>
public sealed class Outbox
{
    private readonly ConcurrentQueue<OutboxMessage> _messages = new();
    private long _seq;

    public OutboxMessage Add(DateTimeOffset at, string type, string email, string otp, string tokenHash, string link, string redirectTo)
    {
        var message = new OutboxMessage(Interlocked.Increment(ref _seq), at, type, email, otp, tokenHash, link, redirectTo);
        _messages.Enqueue(message);
        while (_messages.Count > 1000 && _messages.TryDequeue(out _))
        {
        }
        return message;
    }

    public IEnumerable<OutboxMessage> Snapshot(string? email) =>
        _messages.Where(m => email is null || string.Equals(m.Email, email, StringComparison.OrdinalIgnoreCase));

    public void Clear() => _messages.Clear();
}
