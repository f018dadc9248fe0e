using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Stores;

/// <summary>
/// <c>/api/admin/stores</c>: admins create and deactivate stores; store managers read and update only their own;
/// viewers read all. A deleted store is deactivated, never removed: members and orders keep pointing at it.
/// </summary>
public static class StoreEndpoints
{
    /// <param name="StaffAppId">With <paramref name="StaffOpenId"/>: the store's staff member, an OpenID of one of the
    /// gateway's official accounts, who gets the store's group alerts as customer-service messages. Both or neither;
    /// an update without them clears them.</param>
    /// <param name="District">The store's district (静安区): members located nearest to the store get its city and district.</param>
    public sealed record StoreRequest(string? Name, string? City, decimal? Lat, decimal? Lng, bool? Active, string? StaffAppId = null, string? StaffOpenId = null, string? District = null);

    public sealed record StoreView(
        long Id, string Name, string City, decimal Lat, decimal Lng, bool Active, string? StaffAppId, string? StaffOpenId, DateTime CreatedAt, DateTime UpdatedAt,
        string? District = null);

    public sealed record CreatedStore(long Id);

    public static RouteGroupBuilder MapStores(this RouteGroupBuilder admin)
    {
        var stores = admin.MapGroup("/stores").WithTags("Stores");
        stores.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Stores (a store manager's own only).");
        stores.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One store (404 for a store manager outside it).");
        stores.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a store with its city and location.");
        stores.MapPut("/{id}", UpdateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Replaces a store; store managers only their own, and without opening or closing it (active).");
        stores.MapDelete("/{id}", DeactivateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Deactivates a store.");
        return admin;
    }

    private const string Columns = """
        id AS Id, name AS Name, city AS City, lat AS Lat, lng AS Lng, active AS Active, staff_app_id AS StaffAppId, staff_open_id AS StaffOpenId,
        created_at AS CreatedAt, updated_at AS UpdatedAt, district AS District
        """;

    [ResponseExample("""[ { "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "staffAppId": "wx5f3c2a1b9d8e7f60", "staffOpenId": "oStaff_JingAn_Manager01", "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" } ]""")]
    public static async Task<Ok<List<StoreView>>> ListAsync(ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        var mine = user.StoresOf();
        var sql = $"SELECT {Columns} FROM store {(mine is null ? "" : "WHERE id IN @mine")} ORDER BY id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StoreRow>(new CommandDefinition(sql, new { mine }, cancellationToken: ct));
        return TypedResults.Ok(rows.Select(r => ToView(r) with { StaffOpenId = user.Identifier(r.StaffOpenId) }).ToList());
    }

    [ResponseExample("""{ "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "staffAppId": "wx5f3c2a1b9d8e7f60", "staffOpenId": "oStaff_JingAn_Manager01", "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" }""")]
    public static async Task<Results<Ok<StoreView>, NotFound>> GetAsync(long id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, CancellationToken ct)
    {
        // A store manager is told nothing about other stores, not even that they exist.
        if (!user.CanReadStore(id))
        {
            return TypedResults.NotFound();
        }

        http.AuditStore(id);
        var store = await FindAsync(dataSource, id, ct);
        return store is null ? TypedResults.NotFound() : TypedResults.Ok(store with { StaffOpenId = user.Identifier(store.StaffOpenId) });
    }

    [RequestExample("""{ "name": "Jing'an", "city": "Shanghai", "district": "Jing'an", "lat": 31.2286, "lng": 121.4480 }""")]
    [ResponseExample("""{ "id": 3 }""")]
    public static async Task<Results<Created<CreatedStore>, ValidationProblem>> CreateAsync(
        StoreRequest request, MySqlDataSource dataSource, [FromServices] AccountRegistry accounts, TimeProvider time, CancellationToken ct)
    {
        if (Validate(request, accounts) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            INSERT INTO store (name, city, district, lat, lng, active, staff_app_id, staff_open_id, created_at, updated_at)
            VALUES (@name, @city, @district, @lat, @lng, @active, @staffAppId, @staffOpenId, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        var id = await WriteAsync(dataSource, sql, Parameters(0, request, request.Active ?? true, time), ct);
        return TypedResults.Created($"/api/admin/stores/{id}", new CreatedStore(id));
    }

    [RequestExample("""{ "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "staffAppId": "wx5f3c2a1b9d8e7f60", "staffOpenId": "oStaff_JingAn_Manager01" }""")]
    [ResponseExample("""{ "id": 3, "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4480, "active": true, "staffAppId": "wx5f3c2a1b9d8e7f60", "staffOpenId": "oStaff_JingAn_Manager01", "createdAt": "2026-09-01T02:00:00", "updatedAt": "2026-11-02T06:45:10" }""")]
    public static async Task<Results<Ok<StoreView>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateAsync(
        long id, StoreRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, [FromServices] AccountRegistry accounts, TimeProvider time, CancellationToken ct)
    {
        if (!user.CanWriteStore(id))
        {
            return TypedResults.NotFound();
        }

        http.AuditStore(id);
        if (Validate(request, accounts) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Opening and closing a store is HQ's, as DELETE is: a store manager sends active as it is, or not at all.
        if (user.Role() != AdminRole.Admin && request.Active is { } active && (await FindAsync(dataSource, id, ct))?.Active != active)
        {
            return TypedResults.Problem("Only an admin opens or closes a store (active).", title: "Not yours to change", statusCode: StatusCodes.Status403Forbidden);
        }

        const string sql = """
            UPDATE store SET name = @name, city = @city, district = @district, lat = @lat, lng = @lng, active = COALESCE(@active, active),
                staff_app_id = @staffAppId, staff_open_id = @staffOpenId, updated_at = @now
            WHERE id = @id;
            SELECT ROW_COUNT();
            """;
        if (await WriteAsync(dataSource, sql, Parameters(id, request, request.Active, time), ct) == 0)
        {
            return TypedResults.NotFound();
        }

        return await FindAsync(dataSource, id, ct) is { } store ? TypedResults.Ok(store) : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> DeactivateAsync(long id, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        http.AuditStore(id);
        const string sql = "UPDATE store SET active = 0, updated_at = @now WHERE id = @id; SELECT ROW_COUNT();";
        var found = await WriteAsync(dataSource, sql, new { id, now = time.GetUtcNow().UtcDateTime }, ct);
        return found == 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    /// <summary>
    /// Runs a write to <c>store</c> and marks the stores changed in one transaction, so steering's in-memory copy of
    /// the stores (<see cref="StoreLocations"/>) is replaced before the next recommendation; returns the write's scalar.
    /// </summary>
    private static async Task<long> WriteAsync(MySqlDataSource dataSource, string sql, object parameters, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var result = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(StoreLocations.ChangedSql, transaction: transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return result;
    }

    private static object Parameters(long id, StoreRequest request, bool? active, TimeProvider time) => new
    {
        id,
        name = request.Name!.Trim(),
        city = request.City!.Trim(),
        district = string.IsNullOrWhiteSpace(request.District) ? null : request.District.Trim(),
        lat = request.Lat,
        lng = request.Lng,
        active,
        staffAppId = Blank(request.StaffAppId),
        staffOpenId = Blank(request.StaffOpenId),
        now = time.GetUtcNow().UtcDateTime,
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static async Task<StoreView?> FindAsync(MySqlDataSource dataSource, long id, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM store WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoreRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    private static StoreView ToView(StoreRow row) =>
        new((long)row.Id, row.Name, row.City, row.Lat, row.Lng, row.Active, row.StaffAppId, row.StaffOpenId, row.CreatedAt, row.UpdatedAt, row.District);

    private static Dictionary<string, string[]> Validate(StoreRequest request, AccountRegistry accounts)
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

        if (request.District is { Length: > 100 })
        {
            errors["district"] = ["district is at most 100 characters."];
        }

        if (request.Lat is not { } lat || lat is < -90 or > 90)
        {
            errors["lat"] = ["lat is required, a latitude between -90 and 90."];
        }

        if (request.Lng is not { } lng || lng is < -180 or > 180)
        {
            errors["lng"] = ["lng is required, a longitude between -180 and 180."];
        }

        var (staffAppId, staffOpenId) = (Blank(request.StaffAppId), Blank(request.StaffOpenId));
        if ((staffAppId is null) != (staffOpenId is null))
        {
            errors["staffOpenId"] = ["staffAppId and staffOpenId are given together (the staff member's OpenID of that official account), or neither."];
        }
        else if (staffAppId is not null && accounts.Find(staffAppId)?.Options.Type != AccountType.OfficialAccount)
        {
            errors["staffAppId"] = ["staffAppId must name an official account the gateway serves."];
        }
        else if (staffOpenId is { Length: > 128 })
        {
            errors["staffOpenId"] = ["staffOpenId is at most 128 characters."];
        }

        return errors;
    }

    private sealed record StoreRow(
        ulong Id, string Name, string City, decimal Lat, decimal Lng, bool Active, string? StaffAppId, string? StaffOpenId, DateTime CreatedAt, DateTime UpdatedAt,
        string? District);
}
