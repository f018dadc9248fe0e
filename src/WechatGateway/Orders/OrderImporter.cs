using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Feedback;
using WechatGateway.Members;
using WechatGateway.Points;
using WechatGateway.Storage;

namespace WechatGateway.Orders;

/// <summary>One purchase from a POS or e-commerce system (docs/CONTRACT.md §6). The member is found by OpenID, UnionID or phone.</summary>
public sealed record OrderInput(string? OrderNo, string? OpenId, string? AppId, string? UnionId, string? Phone, decimal? Amount, long? StoreId, DateTime? PaidAt)
{
    /// <summary>Ten million yuan: anything larger is a unit mistake (fen sent as yuan), not a purchase.</summary>
    public const decimal MaxAmount = 10_000_000m;

    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(OrderNo) || OrderNo.Length > 64)
        {
            return "orderNo is required, at most 64 characters";
        }

        if (string.IsNullOrWhiteSpace(OpenId) && string.IsNullOrWhiteSpace(UnionId) && string.IsNullOrWhiteSpace(Phone))
        {
            return "one of openId, unionId or phone is required to find the member";
        }

        if (OpenId is { Length: > 128 } || AppId is { Length: > 64 } || UnionId is { Length: > 64 } || Phone is { Length: > 32 })
        {
            return "openId (128), appId (64), unionId (64) or phone (32) is too long";
        }

        if (Amount is not { } amount || amount < 0 || amount > MaxAmount || decimal.Round(amount, 2) != amount)
        {
            return $"amount is required: yuan from 0 to {MaxAmount.ToString(CultureInfo.InvariantCulture)} with at most 2 decimals";
        }

        return StoreId is <= 0 ? "storeId must be positive" : null;
    }
}

public static class OrderStatus
{
    /// <summary>Matched to a member and awarded now.</summary>
    public const string Imported = "imported";

    /// <summary>Kept; no member has its OpenID, UnionID or phone yet. Matched when one appears.</summary>
    public const string Pending = "pending";

    /// <summary>This order number was imported before; nothing changed.</summary>
    public const string Duplicate = "duplicate";

    public const string Invalid = "invalid";
}

public sealed record OrderResult(string? OrderNo, string Status, ulong? OrderId, string? MemberId, long Awarded, string? Error);

/// <summary>
/// Who imports. A store manager's orders (<paramref name="StoreMembersOnly"/>) credit only members whose home store is
/// the order's store, now or when matched later, and its amounts are capped per day
/// (<see cref="PointsOptions.StoreManagerOrderAmountPerDay"/>).
/// </summary>
public sealed record OrderImporterKey(string Actor, bool StoreMembersOnly);

/// <summary>
/// Imports orders idempotently by order number (a unique key), counts them on the member (stage customer, repeat)
/// and awards the <c>order</c> rules. Each order is its own transaction, so one bad row never undoes the others.
/// </summary>
public sealed class OrderImporter(
    MySqlDataSource dataSource, PointsAwards awards, MemberStore members, FeedbackSurveys surveys, IOptions<PointsOptions> options, TimeProvider time, ILogger<OrderImporter> logger)
{
    /// <summary>
    /// Erasure (<see cref="MemberTables"/>): an order matched to the member no longer needs the identifiers it was matched
    /// by; pending orders belong to nobody yet and are left alone.
    /// </summary>
    public static readonly MemberSql EraseMatchedOrders = new("UPDATE shop_order SET phone = NULL, open_id = NULL, union_id = NULL WHERE member_id = @memberId");

    public async Task<OrderResult> ImportAsync(OrderInput input, OrderImporterKey key, CancellationToken ct)
    {
        if (input.Validate() is { } error)
        {
            return new OrderResult(input.OrderNo, OrderStatus.Invalid, null, null, 0, error);
        }

        return await DeadlockRetry.RunAsync(
            () => TryImportAsync(input, key, ct),
            error => logger.LogInformation("Order {OrderNo} import met {Error}; running it again", input.OrderNo, error));
    }

    /// <summary>Matches a pending order to a member found since; false when another round matched it first.</summary>
    public async Task<bool> MatchPendingAsync(ulong orderId, ulong memberId, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        const string sql = "SELECT order_no AS OrderNo, amount AS Amount FROM shop_order WHERE id = @orderId";
        var order = await c.QuerySingleAsync<(string OrderNo, decimal Amount)>(new CommandDefinition(sql, new { orderId }, t, cancellationToken: ct));
        var awarded = await MatchAsync(c, t, orderId, order.OrderNo, order.Amount, memberId, ct);
        await t.CommitAsync(ct);
        return awarded is not null;
    }

    private async Task<OrderResult> TryImportAsync(OrderInput input, OrderImporterKey key, CancellationToken ct)
    {
        var orderNo = input.OrderNo!.Trim();
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        const string insert = """
            INSERT IGNORE INTO shop_order (order_no, app_id, open_id, union_id, phone, amount, store_id, paid_at, created_at, imported_by, store_members_only)
            VALUES (@orderNo, @AppId, @OpenId, @UnionId, @Phone, @Amount, @StoreId, @paidAt, @now, @Actor, @StoreMembersOnly);
            SELECT ROW_COUNT() AS Inserted, LAST_INSERT_ID() AS Id;
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var (inserted, orderId) = await c.QuerySingleAsync<(long Inserted, ulong Id)>(new CommandDefinition(insert, new
        {
            orderNo,
            AppId = Blank(input.AppId),
            OpenId = Blank(input.OpenId),
            UnionId = Blank(input.UnionId),
            Phone = Blank(input.Phone),
            input.Amount,
            input.StoreId,
            paidAt = input.PaidAt?.ToUniversalTime() ?? now,
            now,
            key.Actor,
            key.StoreMembersOnly,
        }, t, cancellationToken: ct));
        if (inserted == 0)
        {
            const string existing = "SELECT id AS Id, member_id AS MemberId, awarded AS Awarded, store_id AS StoreId FROM shop_order WHERE order_no = @orderNo LOCK IN SHARE MODE";
            var first = await c.QuerySingleAsync<(ulong Id, ulong? MemberId, long Awarded, ulong? StoreId)>(new CommandDefinition(existing, new { orderNo }, t, cancellationToken: ct));
            await t.CommitAsync(ct);

            // A store manager learns nothing about another store's order by reusing its number.
            return key.StoreMembersOnly && (long?)first.StoreId != input.StoreId
                ? new OrderResult(orderNo, OrderStatus.Duplicate, null, null, 0, null)
                : new OrderResult(orderNo, OrderStatus.Duplicate, first.Id, first.MemberId is { } m ? MemberQueries.Id(m) : null, first.Awarded, null);
        }

        if (key.StoreMembersOnly)
        {
            var cap = options.Value.StoreManagerOrderAmountPerDay;
            var today = await ImportedTodayAsync(c, t, key.Actor, now, ct);
            if (today > cap)
            {
                await t.RollbackAsync(ct);
                return new OrderResult(orderNo, OrderStatus.Invalid, null, null, 0,
                    $"this key may import {cap.ToString(CultureInfo.InvariantCulture)} yuan in 24 hours (Points:StoreManagerOrderAmountPerDay); this order would make it {today.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        var memberId = await FindMemberAsync(c, t, Blank(input.AppId), Blank(input.OpenId), Blank(input.UnionId), Blank(input.Phone), key.StoreMembersOnly ? input.StoreId : null, ct);
        if (memberId is null)
        {
            await t.CommitAsync(ct);
            return new OrderResult(orderNo, OrderStatus.Pending, orderId, null, 0, null);
        }

        var awarded = await MatchAsync(c, t, orderId, orderNo, input.Amount!.Value, memberId.Value, ct);
        await t.CommitAsync(ct);
        return new OrderResult(orderNo, OrderStatus.Imported, orderId, MemberQueries.Id(awarded!.Value.MemberId), awarded.Value.Points, null);
    }

    /// <summary>
    /// OpenID (on the given account, or on any account when none is given), then UnionID, then phone; with
    /// <paramref name="homeStoreId"/>, only a member of that store.
    /// </summary>
    private static async Task<ulong?> FindMemberAsync(
        MySqlConnection c, MySqlTransaction t, string? appId, string? openId, string? unionId, string? phone, long? homeStoreId, CancellationToken ct)
    {
        const string sql = """
            SELECT found.member_id FROM (
                SELECT 1 AS pass, member_id FROM member_identity WHERE @openId IS NOT NULL AND open_id = @openId AND (@appId IS NULL OR app_id = @appId)
                UNION ALL SELECT 2, id FROM member WHERE @unionId IS NOT NULL AND union_id = @unionId
                UNION ALL SELECT 3, member_id FROM member_identity WHERE @unionId IS NOT NULL AND union_id = @unionId
                UNION ALL SELECT 4, id FROM member WHERE @phone IS NOT NULL AND phone = @phone
            ) found
            JOIN member m ON m.id = found.member_id
            WHERE @homeStoreId IS NULL OR m.home_store_id = @homeStoreId
            ORDER BY found.pass LIMIT 1
            """;
        return await c.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(sql, new { appId, openId, unionId, phone, homeStoreId }, t, cancellationToken: ct));
    }

    /// <summary>Yuan this key imported in the last 24 hours, this order included; its rows locked, so two imports of one key add up in turn.</summary>
    private static async Task<decimal> ImportedTodayAsync(MySqlConnection c, MySqlTransaction t, string actor, DateTime now, CancellationToken ct)
    {
        const string sql = "SELECT COALESCE(SUM(amount), 0) FROM shop_order WHERE imported_by = @actor AND created_at > @since FOR UPDATE";
        return await c.ExecuteScalarAsync<decimal>(new CommandDefinition(sql, new { actor, since = now.AddDays(-1) }, t, cancellationToken: ct));
    }

    /// <returns>The live member and points awarded, or null when the order was matched already.</returns>
    private async Task<(ulong MemberId, long Points)?> MatchAsync(MySqlConnection c, MySqlTransaction t, ulong orderId, string orderNo, decimal amount, ulong memberId, CancellationToken ct)
    {
        memberId = await PointsLedger.LockLiveMemberForUpdateAsync(c, t, memberId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        const string claim = "UPDATE shop_order SET member_id = @memberId, matched_at = @now WHERE id = @orderId AND matched_at IS NULL";
        if (await c.ExecuteAsync(new CommandDefinition(claim, new { memberId, now, orderId }, t, cancellationToken: ct)) == 0)
        {
            return null;
        }

        const string count = "UPDATE member SET order_count = order_count + 1 WHERE id = @memberId";
        await c.ExecuteAsync(new CommandDefinition(count, new { memberId }, t, cancellationToken: ct));
        await members.RefreshStageAsync(c, t, memberId, ct);
        await Funnel.ChannelFunnel.ReachAsync(c, t, memberId, ct);

        // Points per whole yuan: 128.90 yuan earns 128 × the rule's points.
        var yuan = (long)decimal.Floor(amount);
        long points = 0;
        foreach (var rule in await PointsRules.ActiveAsync(c, t, PointsTriggers.Order, null, now, ct))
        {
            if (yuan * rule.Points > 0 && await awards.AwardAsync(c, t, rule, memberId, yuan * rule.Points, $"order:{orderNo}:{rule.Id}", $"{rule.Name} (order {orderNo})", $"order:{orderId}", null, ct) is { Status: PostingStatus.Posted } posting)
            {
                points += posting.Delta;
            }
        }

        const string awarded = "UPDATE shop_order SET awarded = @points WHERE id = @orderId";
        await c.ExecuteAsync(new CommandDefinition(awarded, new { points, orderId }, t, cancellationToken: ct));
        await members.AddTimelineAsync(c, t, memberId, "order", $"order {orderNo}: {amount.ToString("0.00", CultureInfo.InvariantCulture)} yuan", null, $"order:{orderId}", ct);

        // The third handshake: the order's survey, from the moment it has a member.
        await surveys.ScheduleAsync(c, t, orderId, memberId, now, ct);
        return (memberId, points);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
