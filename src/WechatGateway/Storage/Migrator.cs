using EvolveDb;
using MySqlConnector;

namespace WechatGateway.Storage;

/// <summary>
/// Applies the numbered scripts in <c>Storage/Migrations</c> (embedded) with Evolve before the gateway serves.
/// Evolve takes a database lock, so several instances starting at once migrate once. As a hosted service it runs
/// after the options are validated and before Kestrel accepts the first request.
/// </summary>
public sealed class Migrator(MySqlDataSource dataSource, ILogger<Migrator> logger) : IHostedService
{
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var evolve = new Evolve(connection, message => logger.LogInformation("{EvolveMessage}", message))
        {
            EmbeddedResourceAssemblies = [typeof(Migrator).Assembly],
            EmbeddedResourceFilters = ["WechatGateway.Storage.Migrations"],
            IsEraseDisabled = true,
            MetadataTableName = "schema_migrations",
        };
        evolve.Migrate();
        logger.LogInformation("Database schema is at version {Version} ({Applied} migrations applied now)", evolve.AppliedMigrations.LastOrDefault() ?? "current", evolve.NbMigration);
    }
}
