namespace WechatGateway.Wechat.Api;

/// <summary>
/// WeChat's global error codes (<c>errcode</c>) that the gateway meets. WeChat answers HTTP 200 with
/// <c>{"errcode":N,"errmsg":"..."}</c>; any code not listed here still raises <see cref="WechatApiException"/>,
/// with <see cref="WechatApiException.Code"/> null and the number in <see cref="WechatApiException.ErrorCode"/>.
/// </summary>
public enum WechatErrorCode
{
    /// <summary>-1 "system error": WeChat is busy; the same call may succeed later.</summary>
    SystemBusy = -1,

    /// <summary>40001: the AppSecret is wrong when fetching a token, or the access_token is invalid or not the latest.</summary>
    InvalidCredential = 40001,

    /// <summary>40002: grant_type is not <c>client_credential</c>.</summary>
    InvalidGrantType = 40002,

    /// <summary>40003: the OpenID is not a user of this account.</summary>
    InvalidOpenId = 40003,

    /// <summary>40004: media/upload was given a type other than image, voice, video or thumb.</summary>
    InvalidMediaType = 40004,

    /// <summary>40007: the media_id is unknown or expired (temporary media live 3 days).</summary>
    InvalidMediaId = 40007,

    /// <summary>40008: the message type (msgtype) is not valid.</summary>
    InvalidMessageType = 40008,

    /// <summary>40013: the appId is not valid.</summary>
    InvalidAppId = 40013,

    /// <summary>40014: the access_token is malformed.</summary>
    InvalidAccessToken = 40014,

    /// <summary>40029: the login or phone code is not valid.</summary>
    InvalidCode = 40029,

    /// <summary>40037: the template_id is not valid.</summary>
    InvalidTemplateId = 40037,

    /// <summary>40125: the AppSecret is not valid.</summary>
    InvalidAppSecret = 40125,

    /// <summary>40163: the code has been used already (login and phone codes are single-use).</summary>
    CodeBeenUsed = 40163,

    /// <summary>40226: a high-risk user; WeChat refuses the mini-program login.</summary>
    HighRiskUser = 40226,

    /// <summary>41001: the access_token parameter is missing.</summary>
    AccessTokenMissing = 41001,

    /// <summary>41005: media/upload carried no file in the <c>media</c> field.</summary>
    MediaDataMissing = 41005,

    /// <summary>42001: the access_token has expired.</summary>
    AccessTokenExpired = 42001,

    /// <summary>43004: the user does not follow the account.</summary>
    RequireSubscribe = 43004,

    /// <summary>43101: the user refused subscribe messages (or has no subscription left for this template).</summary>
    UserRefuseToAcceptMessage = 43101,

    /// <summary>44002: the POST body was empty.</summary>
    EmptyPostData = 44002,

    /// <summary>45001: the media file is larger than WeChat allows for its type.</summary>
    MediaSizeOutOfLimit = 45001,

    /// <summary>45009: the API's daily quota is used up.</summary>
    ApiDailyQuotaReached = 45009,

    /// <summary>45011: the API's per-minute quota is used up; retry next minute.</summary>
    ApiMinuteQuotaReached = 45011,

    /// <summary>45015: customer-service reply outside the 48 hours after the user's last interaction, or the user unfollowed.</summary>
    ResponseOutOfTimeLimit = 45015,

    /// <summary>45047: too many customer-service messages without an answer from the user.</summary>
    CustomerServiceQuotaReached = 45047,

    /// <summary>47001: the body is not well-formed JSON.</summary>
    DataFormatError = 47001,

    /// <summary>48001: the account has no permission for this API.</summary>
    ApiUnauthorized = 48001,

    /// <summary>40032: a tag (or untag) call named no OpenID, or more than 50.</summary>
    TooManyOpenIdsForTag = 40032,

    /// <summary>40050: a mass send named a tag (group) the account does not have.</summary>
    InvalidGroupId = 40050,

    /// <summary>40130: a mass send to an OpenID list needs 2 to 10,000 OpenIDs.</summary>
    InvalidOpenIdListSize = 40130,

    /// <summary>45028: no mass send left (a subscription account has one a day).</summary>
    MassSendQuotaReached = 45028,

    /// <summary>45056: the account has its 100 tags already.</summary>
    TooManyTags = 45056,

    /// <summary>45059: the follower has 20 tags already.</summary>
    TooManyTagsOnUser = 45059,

    /// <summary>45065: a mass send with this clientmsgid exists; the answer names its msg_id.</summary>
    ClientMsgIdExists = 45065,

    /// <summary>45157: a tag of this name exists.</summary>
    TagNameExists = 45157,

    /// <summary>45158: a tag name is at most 30 characters.</summary>
    TagNameTooLong = 45158,

    /// <summary>45159: the tag id is not one of the account's.</summary>
    InvalidTagId = 45159,
}
