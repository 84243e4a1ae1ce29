; Inno Setup script for Inkseal on Windows: installs the PyInstaller bundle, start-menu and
; desktop shortcuts, "Open with Inkseal" for the image types it reads, and an uninstaller.
;
; Built on Windows by .github/workflows/package.yml:
;     python packaging\build.py --bundle-only --out dist --work build\pyinstaller
;     iscc /DAppVersion=0.1.0 packaging\windows\inkseal.iss
; which writes dist\inkseal-<version>-windows-setup.exe.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\inkseal"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\pyinstaller\icons\inkseal.ico"
#endif

[Setup]
AppId={{6C1F3C0E-3B7A-4E52-9B8E-51A7C3D2E9A4}
AppName=Inkseal
AppVersion={#AppVersion}
AppVerName=Inkseal {#AppVersion}
AppPublisher=Inkseal contributors
AppPublisherURL=https://github.com/inkseal/inkseal
DefaultDirName={autopf}\Inkseal
DefaultGroupName=Inkseal
DisableProgramGroupPage=yes
; Per-user or for everyone: the person installing chooses (no administrator needed for
; a per-user install).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
OutputDir=..\..\dist
OutputBaseFilename=inkseal-{#AppVersion}-windows-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\inkseal.exe
UninstallDisplayName=Inkseal
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Inkseal"; Filename: "{app}\inkseal.exe"; Comment: "Your artworks and how each was made"
Name: "{autodesktop}\Inkseal"; Filename: "{app}\inkseal.exe"; Tasks: desktopicon

[Registry]
; One program id for the images Inkseal opens. Inkseal is offered under "Open with" for each
; type; it does not take over the type's default program.
Root: HKA; Subkey: "Software\Classes\Inkseal.Image"; ValueType: string; ValueName: ""; ValueData: "Image in Inkseal"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Inkseal.Image\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\inkseal.exe,0"
Root: HKA; Subkey: "Software\Classes\Inkseal.Image\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\inkseal.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "Inkseal"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\inkseal.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.png\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.webp\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.gif\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tif\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tiff\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.bmp\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.heic\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.heif\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.avif\OpenWithProgids"; ValueType: string; ValueName: "Inkseal.Image"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".tif"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".heic"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\inkseal.exe\SupportedTypes"; ValueType: string; ValueName: ".avif"; ValueData: ""

[Run]
Filename: "{app}\inkseal.exe"; Description: "{cm:LaunchProgram,Inkseal}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer put down. The library and preferences in the user's profile stay.
Type: filesandordirs; Name: "{app}\_internal"
