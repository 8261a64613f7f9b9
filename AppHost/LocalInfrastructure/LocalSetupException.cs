namespace AppHost.LocalInfrastructure;

/// <summary>The local machine cannot run the chosen infrastructure; the message says what to install or change.</summary>
internal sealed class LocalSetupException(string message) : Exception(message);
