namespace AppHost.LocalInfrastructure;

/// <summary>
/// `redis-server` run as a process (no container runtime needed). Its connection string is the StackExchange.Redis
/// "host:port" form the SessionApi reads from ConnectionStrings:redis, the same shape the Redis container's has.
/// </summary>
internal sealed class RedisServerResource(string name, string workingDirectory)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => field ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}
