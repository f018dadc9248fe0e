using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Stores;

/// <summary>
/// <c>/api/admin/stores</c>: admins create and deactivate stores; store managers read and update only their own;
/// viewers read all. A deleted store is deactivated, never removed: members and orders keep pointing at it.
/// </summary>
public static class StoreEndpoints
{
    public sealed record StoreRequest(string? Name, string? City, decimal? Lat, decimal? Lng, bool? Active);

    public sealed record StoreView(long Id, string Name, string City, decimal Lat, decimal Lng, bool Active, DateTime CreatedAt, DateTime UpdatedAt);

    public sealed record CreatedStore(long Id);

    public static RouteGroupBuilder MapStores(this RouteGroupBuilder admin)
    {
        var stores = admin.MapGroup("/stores").WithTags("Stores");
        stores.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Stores (a store manager's own only).");
        stores.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One store (404 for a store manager outside it).");
        stores.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a store with its city and location.");
        stores.MapPut("/{id}", UpdateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Replaces a store; store managers only their own.");
        stores.MapDelete("/{id}", DeactivateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Deactivates a store.");
        return admin;
    }

    private const string Columns = """
        id AS Id, name AS Name, city AS City, lat AS Lat, lng AS Lng, active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    [ResponseExample("""[ { "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" } ]""")]
    public static async Task<Ok<List<StoreView>>> ListAsync(ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        var mine = user.StoresOf();
        var sql = $"SELECT {Columns} FROM store {(mine is null ? "" : "WHERE id IN @mine")} ORDER BY id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StoreRow>(new CommandDefinition(sql, new { mine }, cancellationToken: ct));
        return TypedResults.Ok(rows.Select(ToView).ToList());
    }

    [ResponseExample("""{ "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" }""")]
    public static async Task<Results<Ok<StoreView>, NotFound>> GetAsync(long id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, CancellationToken ct)
    {
        // A store manager is told nothing about other stores, not even that they exist.
        if (!user.CanReadStore(id))
        {
            return TypedResults.NotFound();
        }

        http.AuditStore(id);
        var store = await FindAsync(dataSource, id, ct);
        return store is null ? TypedResults.NotFound() : TypedResults.Ok(store);
    }

    [RequestExample("""{ "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480 }""")]
    [ResponseExample("""{ "id": 3 }""")]
    public static async Task<Results<Created<CreatedStore>, ValidationProblem>> CreateAsync(
        StoreRequest request, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            INSERT INTO store (name, city, lat, lng, active, created_at, updated_at)
            VALUES (@name, @city, @lat, @lng, @active, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new
        {
            name = request.Name!.Trim(),
            city = request.City!.Trim(),
            lat = request.Lat,
            lng = request.Lng,
            active = request.Active ?? true,
            now = time.GetUtcNow().UtcDateTime,
        }, cancellationToken: ct));
        return TypedResults.Created($"/api/admin/stores/{id}", new CreatedStore(id));
    }

    [RequestExample("""{ "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true }""")]
    [ResponseExample("""{ "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" }""")]
    public static async Task<Results<Ok<StoreView>, ValidationProblem, NotFound>> UpdateAsync(
        long id, StoreRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (!user.CanWriteStore(id))
        {
            return TypedResults.NotFound();
        }

        http.AuditStore(id);
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            UPDATE store SET name = @name, city = @city, lat = @lat, lng = @lng, active = COALESCE(@active, active), updated_at = @now
            WHERE id = @id
            """;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(sql, new
            {
                id,
                name = request.Name!.Trim(),
                city = request.City!.Trim(),
                lat = request.Lat,
                lng = request.Lng,
                active = request.Active,
                now = time.GetUtcNow().UtcDateTime,
            }, cancellationToken: ct));
            if (changed == 0)
            {
                return TypedResults.NotFound();
            }
        }

        return await FindAsync(dataSource, id, ct) is { } store ? TypedResults.Ok(store) : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> DeactivateAsync(long id, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        http.AuditStore(id);
        const string sql = "UPDATE store SET active = 0, updated_at = @now WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition(sql, new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return found == 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    /// <summary>Whether <paramref name="storeId"/> is a store a member may choose now: it exists and is active.</summary>
    public static async Task<bool> IsActiveAsync(MySqlConnection connection, long storeId, CancellationToken ct)
    {
        const string sql = "SELECT COUNT(*) FROM store WHERE id = @storeId AND active = 1";
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new { storeId }, cancellationToken: ct)) == 1;
    }

    private static async Task<StoreView?> FindAsync(MySqlDataSource dataSource, long id, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM store WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoreRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    private static StoreView ToView(StoreRow row) => new((long)row.Id, row.Name, row.City, row.Lat, row.Lng, row.Active, row.CreatedAt, row.UpdatedAt);

    private static Dictionary<string, string[]> Validate(StoreRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            errors["name"] = ["name is required, at most 100 characters."];
        }

        if (string.IsNullOrWhiteSpace(request.City) || request.City.Trim().Length > 100)
        {
            errors["city"] = ["city is required, at most 100 characters."];
        }

        if (request.Lat is not { } lat || lat is < -90 or > 90)
        {
            errors["lat"] = ["lat is required, a latitude between -90 and 90."];
        }

        if (request.Lng is not { } lng || lng is < -180 or > 180)
        {
            errors["lng"] = ["lng is required, a longitude between -180 and 180."];
        }

        return errors;
    }

    private sealed record StoreRow(ulong Id, string Name, string City, decimal Lat, decimal Lng, bool Active, DateTime CreatedAt, DateTime UpdatedAt);
}
