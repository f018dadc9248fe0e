using System.Text.Json.Serialization;

namespace WechatSimulator.Wechat;

/// <summary>WeChat's plain answer: <c>{"errcode":0,"errmsg":"ok"}</c>, or an error in the same shape (always HTTP 200).</summary>
public sealed record WechatStatus(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string ErrMsg)
{
    public static WechatStatus Ok { get; } = new(WechatErrors.Ok, "ok");

    public static WechatStatus Of(int errCode) => new(errCode, WechatErrors.MessageFor(errCode));
}

/// <summary>The global error codes the simulator answers with, and the errmsg WeChat sends with each.</summary>
public static class WechatErrors
{
    public const int SystemError = -1;
    public const int Ok = 0;
    public const int InvalidCredential = 40001;
    public const int InvalidGrantType = 40002;
    public const int InvalidOpenId = 40003;
    public const int InvalidMessageType = 40008;
    public const int InvalidMediaType = 40004;
    public const int InvalidMediaId = 40007;
    public const int InvalidAppId = 40013;
    public const int InvalidCode = 40029;
    public const int InvalidParameter = 40035;
    public const int InvalidTemplateId = 40037;
    public const int InvalidAppSecret = 40125;
    public const int CodeBeenUsed = 40163;
    public const int AccessTokenMissing = 41001;
    public const int AppIdMissing = 41002;
    public const int AppSecretMissing = 41004;
    public const int MediaDataMissing = 41005;
    public const int AccessTokenExpired = 42001;
    public const int RequireSubscribe = 43004;
    public const int UserRefusedMessage = 43101;
    public const int EmptyPostData = 44002;
    public const int MediaSizeOutOfLimit = 45001;
    public const int DailyQuotaReached = 45009;
    public const int MinuteQuotaReached = 45011;
    public const int ResponseOutOfTimeLimit = 45015;
    public const int ResponseCountLimit = 45047;
    public const int DataFormatError = 47001;
    public const int InvalidGroupId = 40050;
    public const int InvalidOpenIdListSize = 40130;
    public const int MassSendQuotaReached = 45028;
    public const int TooManyTags = 45056;
    public const int ReservedTag = 45058;
    public const int TooManyTagsOnUser = 45059;
    public const int ClientMsgIdExists = 45065;
    public const int ClientMsgIdTooLong = 45067;
    public const int TagNameExists = 45157;
    public const int TagNameTooLong = 45158;
    public const int InvalidTagId = 45159;
    public const int TooManyOpenIds = 40032;
    public const int EmptyContent = 44004;
    public const int ApiUnauthorized = 48001;

    public static string MessageFor(int errCode) => errCode switch
    {
        SystemError => "system error",
        Ok => "ok",
        InvalidCredential => "invalid credential, access_token is invalid or not latest",
        InvalidGrantType => "invalid grant_type",
        InvalidOpenId => "invalid openid",
        InvalidMessageType => "invalid message type",
        InvalidMediaType => "invalid media type",
        InvalidMediaId => "invalid media_id",
        InvalidAppId => "invalid appid",
        InvalidCode => "invalid code",
        InvalidParameter => "invalid parameter",
        InvalidTemplateId => "invalid template_id",
        InvalidAppSecret => "invalid appsecret",
        CodeBeenUsed => "code been used",
        AccessTokenMissing => "access_token missing",
        AppIdMissing => "appid missing",
        AppSecretMissing => "appsecret missing",
        MediaDataMissing => "media data missing",
        AccessTokenExpired => "access_token expired",
        RequireSubscribe => "require subscribe",
        UserRefusedMessage => "user refuse to accept the msg",
        EmptyPostData => "empty post data",
        MediaSizeOutOfLimit => "media size out of limit",
        DailyQuotaReached => "reach max api daily quota limit",
        MinuteQuotaReached => "api minute-quota reach limit  mustslower  retry next minute",
        ResponseOutOfTimeLimit => "response out of time limit or subscription is canceled",
        ResponseCountLimit => "out of response count limit",
        DataFormatError => "data format error",
        ApiUnauthorized => "api unauthorized",
        InvalidGroupId => "invalid group id",
        InvalidOpenIdListSize => "invalid openid list size, at least two openid, at most 10000",
        MassSendQuotaReached => "has no masssend quota",
        TooManyTags => "too many tags",
        ReservedTag => "can't modify sys tag",
        TooManyTagsOnUser => "user has too many tags",
        ClientMsgIdExists => "clientmsgid exist",
        ClientMsgIdTooLong => "clientmsgid size out of limit",
        TagNameExists => "tag name already exists",
        TagNameTooLong => "tag name too long",
        InvalidTagId => "invalid tag id",
        TooManyOpenIds => "invalid openid list size, at most 50",
        EmptyContent => "empty content",
        _ => "simulated error",
    };
}
