using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Groups;

/// <summary>
/// <c>/api/admin/groups</c>: the community groups of each store, staff-confirmed joins, alerts and conversion.
/// Store managers see and change only their stores' groups (403 for another store's); viewers read all.
/// </summary>
public static class GroupEndpoints
{
    /// <summary>WeChat group QR codes last 7 days from when they were shown in the group.</summary>
    public static readonly TimeSpan GroupQrLifetime = TimeSpan.FromDays(7);

    /// <summary>Temporary media (media/upload) lasts 3 days.</summary>
    public static readonly TimeSpan MediaLifetime = TimeSpan.FromDays(3);

    public const int DefaultCapacity = 200;

    /// <summary>WeChat's limit for a group; 200 of those can join by scanning, the rest by invitation.</summary>
    public const int MaxCapacity = 500;

    public sealed record GroupRequest(
        long? StoreId, string? Name, int? Capacity, IReadOnlyList<string>? Tags, string? QrImageUrl, string? QrMediaId,
        DateTimeOffset? QrExpiresAt, string? Owner, string? Intro, bool? Active, int? MemberCount);

    public sealed record GroupView(
        ulong Id, ulong StoreId, string Name, int Capacity, int MemberCount, IReadOnlyList<string> Tags, string? QrImageUrl,
        string? QrMediaId, DateTime QrExpiresAt, string? Owner, string? Intro, bool Active, bool Usable, DateTime CreatedAt, DateTime UpdatedAt);

    public sealed record CreatedGroup(ulong Id);

    public sealed record JoinRequest(ulong? MemberId);

    public static RouteGroupBuilder MapGroups(this RouteGroupBuilder admin)
    {
        var groups = admin.MapGroup("/groups").WithTags("Groups");
        groups.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Groups (a store manager's stores only) by id; ?storeId= filters; at most limit (default and most 500), the next page after=the last id.");
        groups.MapGet("/alerts", GroupAlerts.GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Groups whose QR expires within 24 h, or has expired while active; live codes with no usable group.");
        groups.MapGet("/stats", GroupStats.GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Invitations, joins and conversion per group, store and live code.");
        groups.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One group with its store, capacity, member count and QR expiry.");
        groups.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Creates a group; store managers only in their stores.");
        groups.MapPut("/{id}", UpdateAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Replaces a group; the QR fields may be left out to keep the current QR code.");
        groups.MapDelete("/{id}", DeactivateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Deactivates a group (its history stays).");
        groups.MapPost("/{id}/joins", ConfirmJoinAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Staff confirm that a member joined; takes a seat unless the member holds one already; 409 when full.");
        return admin;
    }

    /// <summary>Groups or live codes one list answers; the next page starts <c>after</c> the last id.</summary>
    public const int MaxPage = 500;

    private const string Columns = """
        id AS Id, store_id AS StoreId, name AS Name, capacity AS Capacity, member_count AS MemberCount, tags AS Tags,
        qr_image_url AS QrImageUrl, qr_media_id AS QrMediaId, qr_expires_at AS QrExpiresAt, owner AS Owner, intro AS Intro,
        active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    [ResponseExample("""[ { "id": 12, "storeId": 3, "name": "Jing'an fans 1", "capacity": 200, "memberCount": 117, "tags": ["coffee"], "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "qrMediaId": null, "qrExpiresAt": "2026-12-07T00:00:00", "owner": "Ms Li (store 3)", "intro": "Weekly tastings and member offers at {store}", "active": true, "usable": true, "createdAt": "2026-11-30T08:00:00", "updatedAt": "2026-12-01T02:10:00" } ]""")]
    public static async Task<Results<Ok<List<GroupView>>, ProblemHttpResult>> ListAsync(
        long? storeId, int? limit, ulong? after, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (limit is < 1 or > MaxPage)
        {
            return TypedResults.Problem($"limit must be between 1 and {MaxPage}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT {Columns} FROM community_group
            WHERE (@storeId IS NULL OR store_id = @storeId) AND (@after IS NULL OR id > @after) {(mine is null ? "" : "AND store_id IN @mine")}
            ORDER BY id LIMIT @take
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<GroupRow>(new CommandDefinition(sql, new { storeId, after, take = limit ?? MaxPage, mine = mine ?? [] }, cancellationToken: ct));
        var now = time.GetUtcNow().UtcDateTime;
        return TypedResults.Ok(rows.Select(r => ToView(r, now)).ToList());
    }

    [ResponseExample("""{ "id": 12, "storeId": 3, "name": "Jing'an fans 1", "capacity": 200, "memberCount": 117, "tags": ["coffee"], "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "qrMediaId": null, "qrExpiresAt": "2026-12-07T00:00:00", "owner": "Ms Li (store 3)", "intro": "Weekly tastings and member offers at {store}", "active": true, "usable": true, "createdAt": "2026-11-30T08:00:00", "updatedAt": "2026-12-01T02:10:00" }""")]
    public static async Task<Results<Ok<GroupView>, NotFound, ProblemHttpResult>> GetAsync(
        ulong id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var row = await FindAsync(c, null, id, ct);
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        if (!user.CanReadStore((long)row.StoreId))
        {
            return OtherStore();
        }

        http.AuditStore((long)row.StoreId);
        return TypedResults.Ok(ToView(row, time.GetUtcNow().UtcDateTime));
    }

    [RequestExample("""{ "storeId": 3, "name": "Jing'an fans 1", "capacity": 200, "tags": ["coffee"], "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "qrExpiresAt": "2026-12-07T00:00:00Z", "owner": "Ms Li (store 3)", "intro": "Weekly tastings and member offers at {store}" }""")]
    [ResponseExample("""{ "id": 12 }""")]
    public static async Task<Results<Created<CreatedGroup>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        GroupRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (request.StoreId is { } storeId && !user.CanWriteStore(storeId))
        {
            return OtherStore();
        }

        http.AuditStore(request.StoreId);
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        if (await ValidateAsync(c, request, now, requireQr: true, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            INSERT INTO community_group (store_id, name, tags, capacity, member_count, qr_image_url, qr_media_id, qr_expires_at, owner, intro, active, created_at, updated_at)
            VALUES (@storeId, @name, @tags, @capacity, @memberCount, @qrImageUrl, @qrMediaId, @qrExpiresAt, @owner, @intro, @active, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        var id = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new
        {
            storeId = request.StoreId,
            name = request.Name!.Trim(),
            tags = GroupTags.Serialize(CleanTags(request.Tags)),
            capacity = request.Capacity ?? DefaultCapacity,
            memberCount = request.MemberCount ?? 0,
            qrImageUrl = Blank(request.QrImageUrl),
            qrMediaId = Blank(request.QrMediaId),
            qrExpiresAt = request.QrExpiresAt!.Value.UtcDateTime,
            owner = Blank(request.Owner),
            intro = Blank(request.Intro),
            active = request.Active ?? true,
            now,
        }, cancellationToken: ct));
        return TypedResults.Created($"/api/admin/groups/{id}", new CreatedGroup(id));
    }

    [RequestExample("""{ "storeId": 3, "name": "Jing'an fans 1", "capacity": 200, "tags": ["coffee"], "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "qrExpiresAt": "2026-12-07T00:00:00Z", "owner": "Ms Li (store 3)", "intro": "Weekly tastings and member offers at {store}" }""")]
    [ResponseExample("""{ "id": 12, "storeId": 3, "name": "Jing'an fans 1", "capacity": 200, "memberCount": 117, "tags": ["coffee"], "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "qrMediaId": null, "qrExpiresAt": "2026-12-07T00:00:00", "owner": "Ms Li (store 3)", "intro": "Weekly tastings and member offers at {store}", "active": true, "usable": true, "createdAt": "2026-11-30T08:00:00", "updatedAt": "2026-12-01T02:10:00" }""")]
    public static async Task<Results<Ok<GroupView>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateAsync(
        ulong id, GroupRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var current = await FindAsync(c, null, id, ct);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        if (!user.CanWriteStore((long)current.StoreId) || (request.StoreId is { } storeId && !user.CanWriteStore(storeId)))
        {
            return OtherStore();
        }

        http.AuditStore((long)current.StoreId);
        var now = time.GetUtcNow().UtcDateTime;
        var newQr = request.QrImageUrl is not null || request.QrMediaId is not null || request.QrExpiresAt is not null;
        if (await ValidateAsync(c, request, now, requireQr: newQr, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            UPDATE community_group SET store_id = @storeId, name = @name, tags = @tags, capacity = @capacity,
                member_count = COALESCE(@memberCount, member_count),
                qr_image_url = IF(@newQr, @qrImageUrl, qr_image_url), qr_media_id = IF(@newQr, @qrMediaId, qr_media_id),
                qr_expires_at = IF(@newQr, @qrExpiresAt, qr_expires_at),
                owner = @owner, intro = @intro, active = COALESCE(@active, active), updated_at = @now
            WHERE id = @id
            """;
        await c.ExecuteAsync(new CommandDefinition(sql, new
        {
            id,
            storeId = request.StoreId,
            name = request.Name!.Trim(),
            tags = GroupTags.Serialize(CleanTags(request.Tags)),
            capacity = request.Capacity ?? DefaultCapacity,
            memberCount = request.MemberCount,
            newQr,
            qrImageUrl = Blank(request.QrImageUrl),
            qrMediaId = Blank(request.QrMediaId),
            qrExpiresAt = request.QrExpiresAt?.UtcDateTime,
            owner = Blank(request.Owner),
            intro = Blank(request.Intro),
            active = request.Active,
            now,
        }, cancellationToken: ct));
        return TypedResults.Ok(ToView((await FindAsync(c, null, id, ct))!, now));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeactivateAsync(
        ulong id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var current = await FindAsync(c, null, id, ct);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        if (!user.CanWriteStore((long)current.StoreId))
        {
            return OtherStore();
        }

        http.AuditStore((long)current.StoreId);
        const string sql = "UPDATE community_group SET active = 0, updated_at = @now WHERE id = @id";
        await c.ExecuteAsync(new CommandDefinition(sql, new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    [RequestExample("""{ "memberId": 10482 }""")]
    [ResponseExample("""{ "groupId": 12, "memberId": 10482, "memberCount": 118, "alreadyMember": false }""")]
    public static async Task<Results<Ok<JoinResult>, NotFound, ValidationProblem, ProblemHttpResult>> ConfirmJoinAsync(
        ulong id, JoinRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, GroupSteering steering, CancellationToken ct)
    {
        if (request.MemberId is not { } memberId || memberId == 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["memberId"] = ["required"] });
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        var group = await FindAsync(c, null, id, ct);
        if (group is null)
        {
            return TypedResults.NotFound();
        }

        if (!user.CanWriteStore((long)group.StoreId))
        {
            return OtherStore();
        }

        http.AuditStore((long)group.StoreId);
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM member WHERE id = @memberId", new { memberId }, cancellationToken: ct)) == 0)
        {
            return TypedResults.NotFound();
        }

        return await steering.JoinAsync(c, id, memberId, $"staff:{user.Actor()}", ct) is { } joined
            ? TypedResults.Ok(joined)
            : GroupFull();
    }

    public static ProblemHttpResult GroupFull() =>
        TypedResults.Problem("The group has no seat left.", title: "Group full", statusCode: StatusCodes.Status409Conflict);

    internal static ProblemHttpResult OtherStore() =>
        TypedResults.Problem("This key is limited to other stores.", title: "Another store", statusCode: StatusCodes.Status403Forbidden);

    private static async Task<GroupRow?> FindAsync(MySqlConnection c, MySqlTransaction? t, ulong id, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition($"SELECT {Columns} FROM community_group WHERE id = @id", new { id }, t, cancellationToken: ct));

    private static async Task<Dictionary<string, string[]>> ValidateAsync(MySqlConnection c, GroupRequest request, DateTime now, bool requireQr, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.StoreId is not { } storeId || await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM store WHERE id = @storeId", new { storeId }, cancellationToken: ct)) == 0)
        {
            errors["storeId"] = ["storeId is required and must name an existing store."];
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            errors["name"] = ["name is required, at most 100 characters."];
        }

        if (request.Capacity is < 1 or > MaxCapacity)
        {
            errors["capacity"] = [$"capacity is between 1 and {MaxCapacity} (WeChat's group limit); default {DefaultCapacity}."];
        }

        if (request.MemberCount is < 0 || request.MemberCount > (request.Capacity ?? DefaultCapacity))
        {
            errors["memberCount"] = ["memberCount is between 0 and the capacity."];
        }

        if (request.Tags is { } tags && (tags.Count > 20 || tags.Any(tag => string.IsNullOrWhiteSpace(tag) || tag.Trim().Length > 64)))
        {
            errors["tags"] = ["at most 20 tags, each 1 to 64 characters."];
        }

        if (request.Owner is { Length: > 100 })
        {
            errors["owner"] = ["owner is at most 100 characters."];
        }

        if (request.Intro is { Length: > 1000 })
        {
            errors["intro"] = ["intro is at most 1000 characters."];
        }

        if (requireQr)
        {
            var url = Blank(request.QrImageUrl);
            var media = Blank(request.QrMediaId);
            if ((url is null) == (media is null))
            {
                errors["qrImageUrl"] = ["give the group's QR code as exactly one of qrImageUrl (https) or qrMediaId (from media/upload)."];
            }
            else if (url is not null && (url.Length > 1000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
            {
                errors["qrImageUrl"] = ["qrImageUrl is an absolute https URL, at most 1000 characters."];
            }
            else if (media is { Length: > 128 })
            {
                errors["qrMediaId"] = ["qrMediaId is at most 128 characters."];
            }

            if (request.QrExpiresAt is not { } expires)
            {
                errors["qrExpiresAt"] = ["qrExpiresAt is required: group QR codes expire 7 days after they are shown."];
            }
            else if (expires.UtcDateTime <= now)
            {
                errors["qrExpiresAt"] = ["this QR code has already expired; upload a fresh one from the group."];
            }
            else if (expires.UtcDateTime > now + GroupQrLifetime + TimeSpan.FromHours(1))
            {
                errors["qrExpiresAt"] = ["group QR codes last at most 7 days."];
            }
            else if (media is not null && expires.UtcDateTime > now + MediaLifetime + TimeSpan.FromHours(1))
            {
                errors["qrExpiresAt"] = ["a media id lasts 3 days (temporary media): qrExpiresAt is at most 3 days ahead."];
            }
        }

        return errors;
    }

    private static List<string> CleanTags(IReadOnlyList<string>? tags) =>
        (tags ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static GroupView ToView(GroupRow r, DateTime now) => new(
        r.Id, r.StoreId, r.Name, r.Capacity, r.MemberCount, GroupTags.Parse(r.Tags), r.QrImageUrl, r.QrMediaId, r.QrExpiresAt,
        r.Owner, r.Intro, r.Active, r.Active && r.MemberCount < r.Capacity && r.QrExpiresAt > now, r.CreatedAt, r.UpdatedAt);

    private sealed record GroupRow(
        ulong Id, ulong StoreId, string Name, int Capacity, int MemberCount, string Tags, string? QrImageUrl, string? QrMediaId,
        DateTime QrExpiresAt, string? Owner, string? Intro, bool Active, DateTime CreatedAt, DateTime UpdatedAt);
}
