__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59511, 'WFWorkflowIconStartColor': 4251333119}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': ['''WFAppContentItem''', '''WFAppStoreAppContentItem''', '''WFArticleContentItem''', '''WFContactContentItem''', '''WFDateContentItem''', '''WFEmailAddressContentItem''', '''WFFolderContentItem''', '''WFGenericFileContentItem''', '''WFImageContentItem''', '''WFiTunesProductContentItem''', '''WFLocationContentItem''', '''WFDCMapsLinkContentItem''', '''WFAVAssetContentItem''', '''WFPDFContentItem''', '''WFPhoneNumberContentItem''', '''WFRichTextContentItem''', '''WFSafariWebPageContentItem''', '''WFStringContentItem''', '''WFURLContentItem'''],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit'''],
}
Provided_Input = is_workflow_actions_ask(WFAskActionDefaultAnswer='''Good''', WFAskActionPrompt='''How are you feeling today?''')
if Provided_Input == '''Good''':
    is_workflow_actions_gettext(WFTextActionText=f'''Glad you're feeling {Provided_Input} today! 🎉''')
else:
    is_workflow_actions_gettext(WFTextActionText='''Take a short walk and drink a glass of water.''')
If_Result = block_result()
is_workflow_actions_notification(WFNotificationActionBody=f'''{If_Result}''', WFNotificationActionSound=True, WFNotificationActionTitle='''Check-in''')
