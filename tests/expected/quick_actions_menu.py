__workflow__ = {
    'WFQuickActionSurfaces': [],
    'WFWorkflowClientVersion': '''2302.0.4''',
    'WFWorkflowHasOutputFallback': False,
    'WFWorkflowHasShortcutInputVariables': False,
    'WFWorkflowIcon': plain({'WFWorkflowIconGlyphNumber': 59771, 'WFWorkflowIconStartColor': 463140863}),
    'WFWorkflowImportQuestions': [],
    'WFWorkflowInputContentItemClasses': ['''WFAppContentItem''', '''WFAppStoreAppContentItem''', '''WFArticleContentItem''', '''WFContactContentItem''', '''WFDateContentItem''', '''WFEmailAddressContentItem''', '''WFFolderContentItem''', '''WFGenericFileContentItem''', '''WFImageContentItem''', '''WFiTunesProductContentItem''', '''WFLocationContentItem''', '''WFDCMapsLinkContentItem''', '''WFAVAssetContentItem''', '''WFPDFContentItem''', '''WFPhoneNumberContentItem''', '''WFRichTextContentItem''', '''WFSafariWebPageContentItem''', '''WFStringContentItem''', '''WFURLContentItem'''],
    'WFWorkflowMinimumClientVersion': 900,
    'WFWorkflowMinimumClientVersionString': '''900''',
    'WFWorkflowOutputContentItemClasses': [],
    'WFWorkflowTypes': ['''NCWidget''', '''WatchKit''', '''MenuBar'''],
}
match input(prompt='''What would you like to do?'''):
    case '''Copy Date''':
        Formatted_Date = is_workflow_actions_format_date(WFDate=f'''{current_date()}''', WFDateFormatStyle='''Medium''')
        is_workflow_actions_setclipboard(WFInput=Formatted_Date)
    case '''Open Link''':
        URLs = is_workflow_actions_detect_link(WFInput=clipboard())
        if URLs:
            is_workflow_actions_openurl(WFInput=URLs)
        else:
            is_workflow_actions_alert(WFAlertActionCancelButtonShown=False, WFAlertActionMessage='''The clipboard holds no URL.''', WFAlertActionTitle='''No link''')
    case '''Cancel''':
        is_workflow_actions_exit()
