using Microsoft.Extensions.Options;

namespace Proxy.Options;

/// <summary>Fails startup with a message naming the Gateway:* setting at fault.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options) =>
        GatewayOptions.Problem(options) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
