using System.Security.Claims;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Groups;

/// <summary>
/// <c>/api/admin/live-codes</c>: a permanent official-account QR code (<c>qrcode/create</c>, <c>QR_LIMIT_STR_SCENE</c>,
/// scene <c>group:CODE</c>) printed once and bound to a pool of groups; each follow or scan invites to the first group
/// of the pool with a seat, so the printed code keeps working as groups fill and their own QR codes expire.
/// A live code of a store may pool only that store's groups; store managers see and change only their stores' codes;
/// brand-wide codes (no store) are Admin only.
/// </summary>
public static partial class LiveCodes
{
    public const string ScenePrefix = "group:";

    /// <param name="Tags">Tags put on every member who follows or scans the code (the consumer profile: Profile/ProfilePushHandler).</param>
    public sealed record LiveCodeRequest(
        string? AppId, string? Code, string? Name, long? StoreId, IReadOnlyList<ulong>? GroupIds, string? FallbackMessage, bool? Active, IReadOnlyList<string>? Tags = null);

    public sealed record LiveCodeView(
        ulong Id, string AppId, string Code, string Name, ulong? StoreId, IReadOnlyList<ulong> GroupIds, string? FallbackMessage,
        string Ticket, string QrUrl, string QrImageUrl, bool Active, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyList<string> Tags);

    public sealed record CreatedLiveCode(ulong Id, string Ticket, string QrUrl);

    /// <summary>Scene strings are at most 64 characters (qrcode/create); the prefix takes 6.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,58}$")]
    private static partial Regex CodePattern();

    public static bool TryParseScene(string scene, out string code)
    {
        code = scene.StartsWith(ScenePrefix, StringComparison.Ordinal) ? scene[ScenePrefix.Length..] : "";
        return code.Length > 0;
    }

    public static RouteGroupBuilder MapLiveCodes(this RouteGroupBuilder admin)
    {
        var codes = admin.MapGroup("/live-codes").WithTags("Groups");
        codes.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Live codes (a store manager's stores only) with their pools, by id: at most limit (default and most 500), the next page after=the last id.");
        codes.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One live code with its QR, pool and fallback message.");
        codes.MapGet("/{id}/qr.png", QrImageAsync).RequireAuthorization(AdminPolicies.Read).Produces(StatusCodes.Status200OK, contentType: "image/png")
            .WithSummary("The live code's QR code as a PNG to download and print (drawn here from its qrUrl, as WeChat's own image is).");
        codes.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Creates the permanent QR code (qrcode/create) and its pool.");
        codes.MapPut("/{id}", UpdateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Changes the name, pool, fallback or active flag (the QR code stays).");
        codes.MapDelete("/{id}", DeactivateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Deactivates: scans get the fallback message.");
        return admin;
    }

    private const string Columns = """
        id AS Id, app_id AS AppId, code AS Code, name AS Name, store_id AS StoreId, fallback_message AS FallbackMessage,
        ticket AS Ticket, qr_url AS QrUrl, active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt, tags AS Tags
        """;

    [ResponseExample("""[ { "id": 1, "appId": "wx5f3c2a1b9d8e7f60", "code": "jingan-counter", "name": "Jing'an counter card", "storeId": 3, "groupIds": [12, 13], "fallbackMessage": "All our groups are full right now: ask at the counter.", "ticket": "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==", "qrUrl": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI", "qrImageUrl": "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D", "active": true, "createdAt": "2026-11-30T08:05:00", "updatedAt": "2026-11-30T08:05:00", "tags": ["jingan-counter"] } ]""")]
    public static async Task<Results<Ok<List<LiveCodeView>>, ProblemHttpResult>> ListAsync(int? limit, ulong? after, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        if (limit is < 1 or > GroupEndpoints.MaxPage)
        {
            return TypedResults.Problem($"limit must be between 1 and {GroupEndpoints.MaxPage}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var mine = user.StoresOf();
        var sql = $"SELECT {Columns} FROM group_live_code WHERE (@after IS NULL OR id > @after) {(mine is null ? "" : "AND store_id IN @mine")} ORDER BY id LIMIT @take";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = (await c.QueryAsync<LiveCodeRow>(new CommandDefinition(sql, new { after, take = limit ?? GroupEndpoints.MaxPage, mine }, cancellationToken: ct))).AsList();
        var pools = await PoolsAsync(c, [.. rows.Select(r => r.Id)], ct);
        return TypedResults.Ok(rows.Select(r => ToView(r, pools.GetValueOrDefault(r.Id) ?? [])).ToList());
    }

    [ResponseExample("""{ "id": 1, "appId": "wx5f3c2a1b9d8e7f60", "code": "jingan-counter", "name": "Jing'an counter card", "storeId": 3, "groupIds": [12, 13], "fallbackMessage": "All our groups are full right now: ask at the counter.", "ticket": "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==", "qrUrl": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI", "qrImageUrl": "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D", "active": true, "createdAt": "2026-11-30T08:05:00", "updatedAt": "2026-11-30T08:05:00", "tags": ["jingan-counter"] }""")]
    public static async Task<Results<Ok<LiveCodeView>, NotFound, ProblemHttpResult>> GetAsync(ulong id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var (row, otherStore) = await VisibleAsync(c, id, user, http, ct);
        if (otherStore)
        {
            return GroupEndpoints.OtherStore();
        }

        return row is null ? TypedResults.NotFound() : TypedResults.Ok(ToView(row, await PoolAsync(c, id, ct)));
    }

    /// <summary>
    /// The QR code of <c>qrUrl</c> (what WeChat's <c>showqrcode</c> image encodes), drawn by QRCoder, as an attachment:
    /// WeChat serves its image from its own host, where a browser does not let a page download it.
    /// </summary>
    [ResponseExample("(the PNG image: a QR code of the live code's qrUrl, 10 pixels per module)", MediaType = "image/png")]
    public static async Task<Results<FileContentHttpResult, NotFound, ProblemHttpResult>> QrImageAsync(ulong id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var (row, otherStore) = await VisibleAsync(c, id, user, http, ct);
        if (otherStore)
        {
            return GroupEndpoints.OtherStore();
        }

        return row is null ? TypedResults.NotFound() : TypedResults.File(QrPng(row.QrUrl), "image/png", $"live-code-{row.Code}.png");
    }

    /// <summary>
    /// The live code (null when there is none) and whether it belongs to a store this user may not read; a code the
    /// user may read has its store recorded for the audit log.
    /// </summary>
    private static async Task<(LiveCodeRow? Row, bool OtherStore)> VisibleAsync(MySqlConnection c, ulong id, ClaimsPrincipal user, HttpContext http, CancellationToken ct)
    {
        var row = await FindAsync(c, id, ct);
        if (row is null)
        {
            return (null, false);
        }

        if (!CanSee(user, row.StoreId))
        {
            return (null, true);
        }

        http.AuditStore((long?)row.StoreId);
        return (row, false);
    }

    /// <summary>The PNG of a QR code for <paramref name="content"/>, error correction M (WeChat's images use it too).</summary>
    public static byte[] QrPng(string content) => QRCoder.PngByteQRCodeHelper.GetQRCode(content, QRCoder.QRCodeGenerator.ECCLevel.M, 10);

    [RequestExample("""{ "appId": "wx5f3c2a1b9d8e7f60", "code": "jingan-counter", "name": "Jing'an counter card", "storeId": 3, "groupIds": [12, 13], "fallbackMessage": "All our groups are full right now: ask at the counter." }""")]
    [ResponseExample("""{ "id": 1, "ticket": "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==", "qrUrl": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI" }""")]
    public static async Task<Results<Created<CreatedLiveCode>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        LiveCodeRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, AccountRegistry accounts,
        WechatApiClient wechat, TimeProvider time, CancellationToken ct)
    {
        if (!CanChange(user, request.StoreId))
        {
            return GroupEndpoints.OtherStore();
        }

        http.AuditStore(request.StoreId);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var errors = await ValidateAsync(c, request, ct);
        if (accounts.Find(request.AppId ?? "") is not { Options.Type: AccountType.OfficialAccount })
        {
            errors["appId"] = ["appId names a configured official account (only official accounts have follow QR codes)."];
        }

        if (string.IsNullOrEmpty(request.Code) || !CodePattern().IsMatch(request.Code))
        {
            errors["code"] = ["code is 1 to 58 letters, digits, '_' or '-' (the QR scene is group:CODE, at most 64 characters)."];
        }
        else if (await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM group_live_code WHERE app_id = @appId AND code = @code", new { appId = request.AppId, code = request.Code }, cancellationToken: ct)) > 0)
        {
            errors["code"] = ["this account already has a live code with this code."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Permanent (no expire_seconds): a printed code must never stop working.
        var qr = await wechat.CreateQrCodeAsync(request.AppId!, ScenePrefix + request.Code, expireSeconds: null, ct);
        var now = time.GetUtcNow().UtcDateTime;
        await using var t = await c.BeginTransactionAsync(ct);
        const string sql = """
            INSERT INTO group_live_code (app_id, code, name, store_id, fallback_message, ticket, qr_url, active, tags, created_at, updated_at)
            VALUES (@appId, @code, @name, @storeId, @fallback, @ticket, @url, @active, @tags, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        var id = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new
        {
            appId = request.AppId,
            code = request.Code,
            name = request.Name!.Trim(),
            storeId = request.StoreId,
            fallback = string.IsNullOrWhiteSpace(request.FallbackMessage) ? null : request.FallbackMessage.Trim(),
            ticket = qr.Ticket,
            url = qr.Url,
            active = request.Active ?? true,
            tags = TagsJson(request),
            now,
        }, t, cancellationToken: ct));
        await ReplacePoolAsync(c, t, id, request.GroupIds ?? [], ct);
        await Profile.TagCatalogue.DeclareAsync(c, t, request.Tags ?? [], Profile.TagSource.Scan, now, ct);
        await t.CommitAsync(ct);
        return TypedResults.Created($"/api/admin/live-codes/{id}", new CreatedLiveCode(id, qr.Ticket, qr.Url));
    }

    [RequestExample("""{ "appId": "wx5f3c2a1b9d8e7f60", "code": "jingan-counter", "name": "Jing'an counter card", "storeId": 3, "groupIds": [12, 13], "fallbackMessage": "All our groups are full right now: ask at the counter.", "active": true, "tags": ["jingan-counter"] }""")]
    [ResponseExample("""{ "id": 1, "appId": "wx5f3c2a1b9d8e7f60", "code": "jingan-counter", "name": "Jing'an counter card", "storeId": 3, "groupIds": [12, 13], "fallbackMessage": "All our groups are full right now: ask at the counter.", "ticket": "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==", "qrUrl": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI", "qrImageUrl": "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D", "active": true, "createdAt": "2026-11-30T08:05:00", "updatedAt": "2026-11-30T08:05:00", "tags": ["jingan-counter"] }""")]
    public static async Task<Results<Ok<LiveCodeView>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateAsync(
        ulong id, LiveCodeRequest request, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var row = await FindAsync(c, id, ct);
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        if (!CanChange(user, (long?)row.StoreId) || !CanChange(user, request.StoreId))
        {
            return GroupEndpoints.OtherStore();
        }

        http.AuditStore((long?)row.StoreId);
        if (await ValidateAsync(c, request, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using (var t = await c.BeginTransactionAsync(ct))
        {
            const string sql = """
                UPDATE group_live_code SET name = @name, store_id = @storeId, fallback_message = @fallback, active = COALESCE(@active, active),
                    tags = @tags, updated_at = @now
                WHERE id = @id
                """;
            await c.ExecuteAsync(new CommandDefinition(sql, new
            {
                id,
                name = request.Name!.Trim(),
                storeId = request.StoreId,
                fallback = string.IsNullOrWhiteSpace(request.FallbackMessage) ? null : request.FallbackMessage.Trim(),
                active = request.Active,
                tags = TagsJson(request),
                now = time.GetUtcNow().UtcDateTime,
            }, t, cancellationToken: ct));
            await ReplacePoolAsync(c, t, id, request.GroupIds ?? [], ct);
            await Profile.TagCatalogue.DeclareAsync(c, t, request.Tags ?? [], Profile.TagSource.Scan, time.GetUtcNow().UtcDateTime, ct);
            await t.CommitAsync(ct);
        }

        return TypedResults.Ok(ToView((await FindAsync(c, id, ct))!, await PoolAsync(c, id, ct)));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeactivateAsync(
        ulong id, ClaimsPrincipal user, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var row = await FindAsync(c, id, ct);
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        if (!CanChange(user, (long?)row.StoreId))
        {
            return GroupEndpoints.OtherStore();
        }

        http.AuditStore((long?)row.StoreId);
        await c.ExecuteAsync(new CommandDefinition("UPDATE group_live_code SET active = 0, updated_at = @now WHERE id = @id", new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    /// <summary>A store's code is seen by whoever sees the store; a brand-wide code only by keys that see every store.</summary>
    private static bool CanSee(ClaimsPrincipal user, ulong? storeId) => storeId is { } s ? user.CanReadStore((long)s) : user.StoresOf() is null;

    private static bool CanChange(ClaimsPrincipal user, long? storeId) => storeId is { } s ? user.CanWriteStore(s) : user.Role() == AdminRole.Admin;

    private static async Task<Dictionary<string, string[]>> ValidateAsync(MySqlConnection c, LiveCodeRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            errors["name"] = ["name is required, at most 100 characters."];
        }

        if (Profile.TagCatalogue.Check(request.Tags, 20) is { } badTag)
        {
            errors["tags"] = [badTag];
        }

        if (request.FallbackMessage is { Length: > 1000 })
        {
            errors["fallbackMessage"] = ["fallbackMessage is at most 1000 characters."];
        }

        if (request.StoreId is { } storeId && await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM store WHERE id = @storeId", new { storeId }, cancellationToken: ct)) == 0)
        {
            errors["storeId"] = ["storeId names an existing store, or is left out for a brand-wide code."];
        }

        var ids = request.GroupIds ?? [];
        if (ids.Count > 100 || ids.Distinct().Count() != ids.Count)
        {
            errors["groupIds"] = ["at most 100 groups, each once."];
        }
        else if (ids.Count > 0)
        {
            var stores = (await c.QueryAsync<ulong>(new CommandDefinition("SELECT store_id FROM community_group WHERE id IN @ids", new { ids }, cancellationToken: ct))).AsList();
            if (stores.Count != ids.Count)
            {
                errors["groupIds"] = ["every groupId names an existing group."];
            }
            else if (request.StoreId is { } own && stores.Any(s => (long)s != own))
            {
                errors["groupIds"] = ["a store's live code pools only that store's groups."];
            }
        }

        return errors;
    }

    private static async Task ReplacePoolAsync(MySqlConnection c, MySqlTransaction t, ulong id, IReadOnlyList<ulong> groupIds, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM group_live_code_pool WHERE live_code_id = @id", new { id }, t, cancellationToken: ct));
        const string insert = "INSERT INTO group_live_code_pool (live_code_id, position, group_id) VALUES (@id, @position, @groupId)";
        await c.ExecuteAsync(new CommandDefinition(insert, groupIds.Select((groupId, i) => new { id, position = i + 1, groupId }), t, cancellationToken: ct));
    }

    private static async Task<IReadOnlyList<ulong>> PoolAsync(MySqlConnection c, ulong id, CancellationToken ct) =>
        (await PoolsAsync(c, [id], ct)).GetValueOrDefault(id) ?? [];

    /// <summary>The pools of several live codes in one query, each in its order.</summary>
    private static async Task<Dictionary<ulong, List<ulong>>> PoolsAsync(MySqlConnection c, ulong[] ids, CancellationToken ct)
    {
        if (ids.Length == 0)
        {
            return [];
        }

        const string sql = "SELECT live_code_id, group_id FROM group_live_code_pool WHERE live_code_id IN @ids ORDER BY live_code_id, position";
        var rows = await c.QueryAsync<(ulong LiveCodeId, ulong GroupId)>(new CommandDefinition(sql, new { ids }, cancellationToken: ct));
        return rows.GroupBy(r => r.LiveCodeId).ToDictionary(g => g.Key, g => g.Select(r => r.GroupId).ToList());
    }

    private static async Task<LiveCodeRow?> FindAsync(MySqlConnection c, ulong id, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<LiveCodeRow>(new CommandDefinition($"SELECT {Columns} FROM group_live_code WHERE id = @id", new { id }, cancellationToken: ct));

    private static LiveCodeView ToView(LiveCodeRow r, IReadOnlyList<ulong> pool) => new(
        r.Id, r.AppId, r.Code, r.Name, r.StoreId, pool, r.FallbackMessage, r.Ticket, r.QrUrl,
        // The image WeChat serves for a ticket (showqrcode), ready to print.
        $"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={Uri.EscapeDataString(r.Ticket)}", r.Active, r.CreatedAt, r.UpdatedAt,
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.Tags) ?? []);

    private static string TagsJson(LiveCodeRequest request) => System.Text.Json.JsonSerializer.Serialize(request.Tags?.Distinct().ToList() ?? []);

    private sealed record LiveCodeRow(
        ulong Id, string AppId, string Code, string Name, ulong? StoreId, string? FallbackMessage, string Ticket, string QrUrl,
        bool Active, DateTime CreatedAt, DateTime UpdatedAt, string Tags);
}
